"""Fast tier: what this machine is — CPU model and instruction sets from /proc/cpuinfo's text, a key per
kind of machine, and the user cache folder (never the repository)."""

from pathlib import Path

from cnnapp import machine

X86 = "processor : 0\nmodel name : Test CPU 9000\nflags : fpu sse avx2 avx512f amx_tile amx_bf16\n"
X86_TWO_CORES = X86 + "\nprocessor : 1\nmodel name : Test CPU 9000\nflags : fpu\n"  # the first core's row
ARM = "processor : 0\nFeatures : fp asimd evtstrm\nCPU part : 0xd0c\nHardware : Test ARM board\n"


def test_the_first_cores_model_and_flags_are_read_and_only_known_flags_kept():
    cpu = machine.cpu_info(X86_TWO_CORES)
    assert cpu["model"] == "Test CPU 9000" and cpu["flags"] == ["amx_bf16", "amx_tile", "avx2", "avx512f"]
    assert cpu["features"]["amx"] and cpu["features"]["amx_bf16"] and not cpu["features"]["amx_int8"]
    assert machine.instruction_sets(cpu) == "AVX2, AVX-512, AMX, AMX_BF16"  # nothing lacking to say


def test_an_arm_cpu_names_its_board_and_neon():
    cpu = machine.cpu_info(ARM)
    assert cpu["model"] == "Test ARM board" and cpu["features"]["neon"] and not cpu["features"]["avx2"]
    assert machine.instruction_sets(cpu) == "NEON; no AVX-512, AMX"


def test_the_key_is_the_same_for_the_same_model_and_flags_only():
    key = machine.cpu_info(X86)["key"]
    assert len(key) == 16 and machine.cpu_info(X86)["key"] == key
    assert machine.cpu_info(X86.replace("sse ", ""))["key"] != key  # any flag, known or not, counts
    assert machine.cpu_info(X86.replace("9000", "9001"))["key"] != key


def test_the_cache_folder_is_cnnapp_cache_else_xdg_else_home(monkeypatch, tmp_path):
    monkeypatch.setenv("CNNAPP_CACHE", str(tmp_path / "mine"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert machine.cache_dir() == tmp_path / "mine"
    monkeypatch.delenv("CNNAPP_CACHE")
    assert machine.cache_dir() == tmp_path / "xdg" / "cnnapp"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert machine.cache_dir() == Path(tmp_path / "home" / ".cache" / "cnnapp")
