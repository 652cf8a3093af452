"""A plugin whose backends end the program when loaded: ``exitdev`` calls ``sys.exit(5)``, ``abortdev``
raises a BaseException subclass."""
import sys

from plugtensor.backend import BackendSpec, hookimpl


class BackendAbort(BaseException):
    pass


def _load_exit():
    sys.exit(5)


def _load_abort():
    raise BackendAbort("exit_load_plugin: the driver refused to start")


@hookimpl
def plugtensor_register_backends():
    return [BackendSpec("exitdev", _load_exit), BackendSpec("abortdev", _load_abort)]
