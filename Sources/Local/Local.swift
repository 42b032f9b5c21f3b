// Local module.
