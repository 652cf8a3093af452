"""A plugin that only registers a dtype (2-byte unsigned integers)."""
from plugtensor.backend import hookimpl


@hookimpl
def plugtensor_register_dtypes(register):
    register("uint16", 2, "int", False)
