"""skiff.engine.images.reference: parsing, normalisation and the familiar form of references."""

from __future__ import annotations

import pytest

from skiff.engine.images import reference
from skiff.engine.images.reference import Reference
from skiff.errdefs import InvalidParameter

DIGEST = "sha256:" + "ab" * 32


@pytest.mark.parametrize(
    ("text", "repo", "tag", "digest"),
    [
        ("busybox", "busybox", "latest", None),
        ("busybox:1.36", "busybox", "1.36", None),
        ("busybox:latest", "busybox", "latest", None),
        ("docker.io/library/busybox", "busybox", "latest", None),
        ("docker.io/library/busybox:musl", "busybox", "musl", None),
        ("index.docker.io/library/busybox", "busybox", "latest", None),
        ("docker.io/foo/bar:v1", "foo/bar", "v1", None),
        ("foo/bar", "foo/bar", "latest", None),
        ("ghcr.io/owner/image:tag", "ghcr.io/owner/image", "tag", None),
        ("localhost/foo", "localhost/foo", "latest", None),
        ("localhost:5000/foo/bar:1.0", "localhost:5000/foo/bar", "1.0", None),
        ("my-registry.example.com:443/a/b/c", "my-registry.example.com:443/a/b/c", "latest",
         None),
        ("Example.COM/foo", "Example.COM/foo", "latest", None),
        ("[::1]:5000/foo", "[::1]:5000/foo", "latest", None),
        ("a__b/c.d-e", "a__b/c.d-e", "latest", None),
        ("busybox:_tag.with-Chars", "busybox", "_tag.with-Chars", None),
        (f"busybox@{DIGEST}", "busybox", None, DIGEST),
        (f"busybox:1.36@{DIGEST}", "busybox", "1.36", DIGEST),
        (f"ghcr.io/a/b@{DIGEST}", "ghcr.io/a/b", None, DIGEST),
    ],
)
def test_parse(text: str, repo: str, tag: str | None, digest: str | None) -> None:
    assert reference.parse(text) == Reference(repo, tag, digest)


def test_parse_without_default_tag() -> None:
    assert reference.parse("busybox", default_tag=False) == Reference("busybox", None, None)
    assert reference.parse("busybox:1", default_tag=False).tag == "1"


def test_str_and_tagged() -> None:
    assert str(Reference("busybox", "1.36")) == "busybox:1.36"
    assert str(Reference("busybox", None, DIGEST)) == f"busybox@{DIGEST}"
    assert str(Reference("busybox", "1", DIGEST)) == f"busybox:1@{DIGEST}"
    assert Reference("busybox").tagged == "busybox:latest"
    assert Reference("a/b", "v2").tagged == "a/b:v2"


@pytest.mark.parametrize(
    ("name", "familiar"),
    [
        ("docker.io/library/busybox", "busybox"),
        ("index.docker.io/library/busybox", "busybox"),
        ("docker.io/foo/bar", "foo/bar"),
        ("busybox", "busybox"),
        ("ghcr.io/a/b", "ghcr.io/a/b"),
        ("localhost:5000/library/x", "localhost:5000/library/x"),
    ],
)
def test_familiar(name: str, familiar: str) -> None:
    assert reference.familiar(name) == familiar


def test_familiar_keeps_library_prefix_of_nested_official_paths() -> None:
    # docker.io/library/foo/bar is not an official image: its familiar form keeps
    # "library/" (distribution/reference FamiliarName); stripping it would alias docker.io/foo/bar
    assert reference.familiar("docker.io/library/foo/bar") == "library/foo/bar"


def test_library_prefix_is_normalised_like_docker() -> None:
    # ParseNormalizedNamed("library/busybox") is docker.io/library/busybox, shown as "busybox"
    assert reference.parse("library/busybox") == Reference("busybox", "latest")
    assert reference.parse("library/busybox:1").tagged == "busybox:1"


@pytest.mark.parametrize(
    ("repo", "full"),
    [
        ("busybox", "docker.io/library/busybox"),
        ("foo/bar", "docker.io/foo/bar"),
        ("ghcr.io/a/b", "ghcr.io/a/b"),
        ("localhost/foo", "localhost/foo"),
        ("localhost:5000/foo", "localhost:5000/foo"),
        ("registry:5000/foo", "registry:5000/foo"),
    ],
)
def test_full_name(repo: str, full: str) -> None:
    assert reference.full_name(repo) == full


@pytest.mark.parametrize(
    "text",
    [
        "",
        " busybox",
        "busybox ",
        "busybox:",
        ":tag",
        "-busybox",
        "busybox-",
        "foo//bar",
        "foo/",
        "/foo",
        "foo:bad tag",
        "foo:-tag",
        "foo:" + "t" * 129,
        "foo@sha256:abc",
        "foo@md5:" + "ab" * 16,
        f"foo@{DIGEST}@{DIGEST}",
        "foo bar",
        "foo$bar",
        "a" * 256,
    ],
)
def test_invalid_references(text: str) -> None:
    with pytest.raises(InvalidParameter, match="invalid reference format"):
        reference.parse(text)


def test_longest_tag_is_accepted() -> None:
    assert reference.parse("foo:" + "t" * 128).tag == "t" * 128


@pytest.mark.parametrize("text", ["Busybox", "foo/Bar:tag", "docker.io/library/UPPER"])
def test_uppercase_repository_names_are_refused(text: str) -> None:
    with pytest.raises(InvalidParameter) as info:
        reference.parse(text)
    assert info.value.message.startswith("invalid reference format: repository name")
    assert info.value.message.endswith("must be lowercase")


def test_64_hex_repository_name_is_refused() -> None:
    # distribution/reference: "invalid repository name (...), cannot specify 64-byte
    # hexadecimal strings" - such a name would be ambiguous with an image ID
    with pytest.raises(InvalidParameter):
        reference.parse("ab" * 32)
