"""`osh-postrender patches verify`: not yet implemented."""


def register(subparsers):
    pass
