#ifndef SLIMCTL_CYAML_SHIM_H
#define SLIMCTL_CYAML_SHIM_H
#include <yaml.h>
#endif
