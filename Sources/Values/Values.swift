// Values module.
