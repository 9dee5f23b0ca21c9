"""`osh-postrender place`: not yet implemented."""


def register(subparsers):
    pass
