"""Locating, verifying and downloading dataset files: every failure is clear, nothing partial stays."""

import functools
import hashlib
import http.server
import io
import shutil
import tarfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from chainrule import datasets
from chainrule.datasets import _fetch, mnist
from chainrule.datasets import text as text_sets
from chainrule.datasets._fetch import RemoteFile, locate


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    """A private, empty cache; no CHAINRULE_DATA / CHAINRULE_OFFLINE from the caller."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("CHAINRULE_DATA", raising=False)
    monkeypatch.delenv("CHAINRULE_OFFLINE", raising=False)
    monkeypatch.setattr(_fetch, "_verified", {})


def _spec_for(path: Path, url: str, name: str | None = None) -> RemoteFile:
    data = path.read_bytes()
    return RemoteFile(name or path.name, hashlib.sha256(data).hexdigest(), len(data), url)


def _assert_no_leftovers(folder: Path):
    if folder.exists():
        assert [p.name for p in folder.rglob("*") if p.is_file()] == []


# ---- files present locally --------------------------------------------------------------------


def test_data_dir_and_env_var_are_searched(data_dir, monkeypatch):
    assert len(datasets.load_tiny_shakespeare(data_dir=data_dir)) == 1_115_394
    monkeypatch.setenv("CHAINRULE_DATA", str(data_dir))
    assert len(datasets.load_tiny_shakespeare()) == 1_115_394


def test_corrupted_copy_raises_checksum_error(data_dir, tmp_path):
    folder = tmp_path / "data" / "tinyshakespeare"
    folder.mkdir(parents=True)
    raw = bytearray((data_dir / "tinyshakespeare" / "input.txt").read_bytes())
    raw[1000] ^= 0x01  # same size, one bit flipped
    (folder / "input.txt").write_bytes(bytes(raw))
    with pytest.raises(datasets.ChecksumError) as info:
        datasets.load_tiny_shakespeare(data_dir=tmp_path / "data")
    msg = str(info.value)
    assert str(folder / "input.txt") in msg
    assert "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed" in msg
    assert "raw.githubusercontent.com/karpathy/char-rnn" in msg  # how to get it
    assert isinstance(info.value, ValueError)


def test_truncated_copy_raises_checksum_error(data_dir, tmp_path):
    folder = tmp_path / "mnist"
    folder.mkdir()
    for src in (data_dir / "mnist").iterdir():
        (folder / src.name).symlink_to(src.resolve())
    (folder / "t10k-labels-idx1-ubyte.gz").unlink()
    good = (data_dir / "mnist" / "t10k-labels-idx1-ubyte.gz").read_bytes()
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(good[:-100])
    with pytest.raises(datasets.ChecksumError, match=r"t10k-labels-idx1-ubyte\.gz.*4,442 bytes"):
        datasets.load_mnist(data_dir=tmp_path)


def test_corrupt_gzip_with_matching_checksum_is_reported(tmp_path):
    # A spec whose checksum matches a broken gzip: the IDX reader must still refuse it clearly.
    broken = tmp_path / "broken.gz"
    broken.write_bytes(b"\x1f\x8b\x08\x00 not really gzip")
    with pytest.raises(datasets.CorruptFileError, match="broken.gz"):
        mnist.read_idx(broken, 2049, 1)


# ---- missing files ----------------------------------------------------------------------------


def test_missing_file_offline_env_raises_without_network(tmp_path, monkeypatch):
    monkeypatch.setenv("CHAINRULE_OFFLINE", "1")

    def no_network(*args, **kwargs):
        raise AssertionError("must not touch the network when CHAINRULE_OFFLINE=1")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    with pytest.raises(datasets.DatasetNotFoundError) as info:
        datasets.load_tiny_shakespeare(data_dir=tmp_path / "empty")
    msg = str(info.value)
    assert "input.txt" in msg and "CHAINRULE_OFFLINE" in msg
    assert str(tmp_path / "empty" / "tinyshakespeare" / "input.txt") in msg  # where it looked
    assert str(tmp_path / "cache" / "chainrule" / "datasets" / "tinyshakespeare") in msg
    assert isinstance(info.value, FileNotFoundError)


def test_missing_file_no_network_raises_quickly(tmp_path, monkeypatch):
    def offline_opener(url, timeout):
        assert timeout == _fetch.DOWNLOAD_TIMEOUT_S
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(urllib.request, "urlopen", offline_opener)
    with pytest.raises(datasets.DatasetNotFoundError, match="Temporary failure") as info:
        datasets.load_sst2(data_dir=tmp_path / "empty")
    assert "train.tsv" in str(info.value) and "forest-snow/alps" in str(info.value)
    _assert_no_leftovers(tmp_path / "cache")


def test_unreachable_url_fails_fast_and_leaves_nothing(tmp_path, monkeypatch):
    spec = RemoteFile("x.bin", "0" * 64, 10, "http://127.0.0.1:9/x.bin")  # discard port: refused
    start = time.perf_counter()
    with pytest.raises(datasets.DatasetNotFoundError, match=r"127\.0\.0\.1:9"):
        locate("fake", [spec], tmp_path / "empty")
    assert time.perf_counter() - start < 10
    _assert_no_leftovers(tmp_path / "cache")


# ---- downloads --------------------------------------------------------------------------------


@pytest.fixture
def http_root(tmp_path):
    """A folder served over HTTP on 127.0.0.1 for the duration of a test; yields (folder, base URL)."""
    root = tmp_path / "served"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_download_over_http_verifies_and_caches(data_dir, tmp_path, http_root, monkeypatch):
    root, base = http_root
    shutil.copy(data_dir / "tinyshakespeare" / "input.txt", root / "input.txt")
    spec = _spec_for(root / "input.txt", base + "input.txt")
    monkeypatch.setattr(text_sets, "_SHAKESPEARE", spec)
    text = datasets.load_tiny_shakespeare(data_dir=tmp_path / "empty")
    assert len(text) == 1_115_394
    cached = tmp_path / "cache" / "chainrule" / "datasets" / "tinyshakespeare"
    assert [p.name for p in cached.iterdir()] == ["input.txt"]  # no temporary left behind
    # The second call finds the cached copy: no server needed.
    (root / "input.txt").unlink()
    assert datasets.load_tiny_shakespeare(data_dir=tmp_path / "empty") == text


def test_download_with_wrong_content_is_rejected(tmp_path, http_root):
    root, base = http_root
    (root / "f.txt").write_bytes(b"hello, wrong world")
    spec = RemoteFile(
        "f.txt", hashlib.sha256(b"hello, right world").hexdigest(), 18, base + "f.txt"
    )
    with pytest.raises(datasets.ChecksumError, match=r"downloaded from http://127\.0\.0\.1"):
        locate("fake", [spec])
    _assert_no_leftovers(tmp_path / "cache")
    # No silent retry loop: a second call downloads once more and fails the same way.
    with pytest.raises(datasets.ChecksumError):
        locate("fake", [spec])


def test_download_from_file_url(tmp_path):
    src = tmp_path / "src.bin"
    src.write_bytes(bytes(range(256)) * 10)
    spec = _spec_for(src, src.as_uri(), name="sub/dir.bin")
    path = locate("fake", [spec], tmp_path / "empty")["sub/dir.bin"]
    assert path == tmp_path / "cache" / "chainrule" / "datasets" / "fake" / "sub" / "dir.bin"
    assert path.read_bytes() == src.read_bytes()


def _rt_archive(data_dir: Path, dest: Path) -> None:
    with tarfile.open(dest, "w:gz") as tf:
        for name in ("rt-polarity.neg", "rt-polarity.pos"):
            tf.add(data_dir / "rt-polarity" / name, arcname=f"rt-polaritydata/{name}")
        readme = b"a readme"
        info = tarfile.TarInfo("rt-polaritydata.README.1.0.txt")
        info.size = len(readme)
        tf.addfile(info, io.BytesIO(readme))


def test_download_extracts_members_from_tarball(data_dir, tmp_path, monkeypatch):
    archive = tmp_path / "rt-polaritydata.tar.gz"
    _rt_archive(data_dir, archive)
    specs = [
        RemoteFile(s.name, s.sha256, s.size, archive.as_uri(), member=s.member)
        for s in text_sets._RT
    ]
    monkeypatch.setattr(text_sets, "_RT", specs)
    calls = []
    real_urlopen = urllib.request.urlopen

    def counting_urlopen(url, timeout):
        calls.append(url)
        return real_urlopen(url, timeout=timeout)

    monkeypatch.setattr(urllib.request, "urlopen", counting_urlopen)
    x, y = datasets.load_rt_polarity(test_size=None, data_dir=tmp_path / "empty")
    assert calls == [archive.as_uri()]  # one download serves both members
    assert len(x) == 10_662 and y.sum() == 5_331
    cached = tmp_path / "cache" / "chainrule" / "datasets" / "rt-polarity"
    assert sorted(p.name for p in cached.iterdir()) == ["rt-polarity.neg", "rt-polarity.pos"]


def test_truncated_archive_raises_corrupt_error(data_dir, tmp_path, monkeypatch):
    archive = tmp_path / "rt-polaritydata.tar.gz"
    _rt_archive(data_dir, archive)
    archive.write_bytes(archive.read_bytes()[:200_000])
    specs = [
        RemoteFile(s.name, s.sha256, s.size, archive.as_uri(), member=s.member)
        for s in text_sets._RT
    ]
    monkeypatch.setattr(text_sets, "_RT", specs)
    with pytest.raises(datasets.CorruptFileError, match="rt-polarity.*truncated or corrupt"):
        datasets.load_rt_polarity(data_dir=tmp_path / "empty")
    _assert_no_leftovers(tmp_path / "cache")


def test_cache_folder_follows_xdg(tmp_path):
    assert datasets.cache_root() == tmp_path / "cache" / "chainrule" / "datasets"


def test_file_changed_after_verification_is_checked_again(data_dir, tmp_path):
    folder = tmp_path / "data" / "tinyshakespeare"
    folder.mkdir(parents=True)
    copy = folder / "input.txt"
    shutil.copy(data_dir / "tinyshakespeare" / "input.txt", copy)
    assert len(datasets.load_tiny_shakespeare(data_dir=tmp_path / "data")) == 1_115_394
    raw = bytearray(copy.read_bytes())
    raw[5] ^= 0x20
    copy.write_bytes(bytes(raw))
    with pytest.raises(datasets.ChecksumError, match="input.txt"):
        datasets.load_tiny_shakespeare(data_dir=tmp_path / "data")
