// Plan module.
