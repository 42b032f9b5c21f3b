// Kube module.
