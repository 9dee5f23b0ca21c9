"""`tools/live openstack`: which words are the client's."""
from osh_live.openstack import client_argv


def test_the_clients_own_file_option_and_scope_options_stay_the_clients_in_order():
    argv = ["--fetch", "x.saved", "image", "save", "x", "--file", "/tmp/x.saved"]
    assert client_argv(argv) == ["image", "save", "x", "--file", "/tmp/x.saved"]
    argv = ["--os-system-scope", "all", "--os-project-name", "", "baremetal", "driver", "list"]
    assert client_argv(argv) == argv


def test_this_commands_options_before_the_first_client_word_are_dropped():
    argv = ["--namespace=openstack", "--file", "a.img", "--region", "r", "token", "issue"]
    assert client_argv(argv) == ["token", "issue"]
