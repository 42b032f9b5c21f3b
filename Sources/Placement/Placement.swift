// Placement module.
