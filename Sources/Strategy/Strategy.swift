// Strategy module.
