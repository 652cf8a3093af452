"""A plugin whose ``plugtensor_register_backends`` hook raises (it would have served ``mydev``)."""
from plugtensor.backend import hookimpl


@hookimpl
def plugtensor_register_backends():
    raise RuntimeError("broken_register_plugin cannot read its device list /etc/mydev.conf")
