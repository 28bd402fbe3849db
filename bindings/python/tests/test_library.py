"""Loading the library, versions, status codes, the exception hierarchy and
the struct layouts against the public header."""

import ctypes
import os
import pickle
import re
import subprocess
import sys
import unittest
from unittest import mock

from _support import HEADER, ROOT

import tutorcore
from tutorcore import _native

HEADER_TEXT = HEADER.read_text(encoding="utf-8")
PYTHONPATH = str(ROOT / "bindings" / "python")


def header_define(name: str) -> int:
    match = re.search(r"#define {}\s+(?:\\\s*)?(-?\d+)".format(name), HEADER_TEXT)
    assert match, name
    return int(match.group(1))


def header_struct_fields(name: str):
    match = re.search(r"typedef struct {} \{{(.*?)\}} {};".format(name, name), HEADER_TEXT, re.S)
    assert match, name
    body = re.sub(r"/\*.*?\*/", "", match.group(1), flags=re.S)
    fields = []
    for decl in body.split(";"):
        decl = decl.strip()
        if decl:
            fields.append(re.findall(r"\w+", decl)[-1])
    return fields


def run_python(code: str, env_update: dict, drop=()):
    env = dict(os.environ)
    for key in drop:
        env.pop(key, None)
    env.update(env_update)
    env["PYTHONPATH"] = PYTHONPATH
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )


class VersionTest(unittest.TestCase):
    def test_version_matches_header(self):
        major = header_define("TC_VERSION_MAJOR")
        minor = header_define("TC_VERSION_MINOR")
        patch = header_define("TC_VERSION_PATCH")
        self.assertEqual(tutorcore.version(), "{}.{}.{}".format(major, minor, patch))
        self.assertEqual(tutorcore.version_number(), major * 1000000 + minor * 1000 + patch)
        self.assertEqual(tutorcore.version_info(), (major, minor, patch))
        self.assertEqual(tutorcore.ABI_VERSION, header_define("TC_ABI_VERSION"))

    def test_library_path(self):
        self.assertIn("tutorcore", os.path.basename(tutorcore.library_path()))
        expected = os.environ.get("TUTORCORE_LIBRARY")
        if expected:
            self.assertEqual(tutorcore.library_path(), expected)
            # Loading the same file again is fine; another file is refused.
            self.assertIs(tutorcore.load_library(expected), _native.lib())
            with self.assertRaisesRegex(RuntimeError, "already loaded"):
                tutorcore.load_library(os.path.join(os.path.dirname(expected), "other.so"))

    def test_status_codes_match_header(self):
        for status in tutorcore.Status:
            match = re.search(r"TC_{} = (-?\d+)".format(status.name), HEADER_TEXT)
            self.assertIsNotNone(match, status.name)
            self.assertEqual(int(match.group(1)), int(status))
            self.assertTrue(tutorcore.status_str(status).startswith(status.c_name))
        self.assertEqual(tutorcore.status_str(12345), "unknown status")

    def test_every_header_function_is_bound(self):
        declared = set(re.findall(r"TC_API [^;]*?\b(tc_\w+)\(", HEADER_TEXT))
        bound = {name for name, _, _ in _native._PROTOTYPES}
        self.assertEqual(bound - declared, set(), "bound but not in tutorcore.h")
        self.assertEqual(
            declared - bound,
            set(),
            "in tutorcore.h but not bound: declare them in bindings/python/tutorcore/_native.py "
            "and give them a Python method",
        )


class ErrorTest(unittest.TestCase):
    def test_hierarchy(self):
        cases = {
            tutorcore.InvalidArgument: (-1, ValueError),
            tutorcore.NotFound: (-2, LookupError),
            tutorcore.AlreadyExists: (-3, None),
            tutorcore.StorageError: (-4, None),
            tutorcore.Unavailable: (-5, None),
            tutorcore.VersionError: (-6, None),
            tutorcore.Cancelled: (-7, None),
            tutorcore.OutOfMemory: (-8, MemoryError),
            tutorcore.InternalError: (-9, None),
        }
        for cls, (code, builtin) in cases.items():
            err = tutorcore.errors.error_for_status(code, "what went wrong", "tc_x")
            self.assertIs(type(err), cls)
            self.assertIsInstance(err, tutorcore.TutorcoreError)
            if builtin is not None:
                self.assertIsInstance(err, builtin)
            self.assertEqual(err.status, code)
            self.assertIsInstance(err.status, tutorcore.Status)
            self.assertEqual(err.message, "what went wrong")
            self.assertEqual(err.function, "tc_x")
            self.assertEqual(str(err), "tc_x: what went wrong [{}]".format(err.status.c_name))
            again = pickle.loads(pickle.dumps(err))
            self.assertIs(type(again), cls)
            self.assertEqual((again.status, again.message, again.function), (code, err.message, "tc_x"))

    def test_unknown_status_is_the_base_class(self):
        err = tutorcore.errors.error_for_status(-42, "new code")
        self.assertIs(type(err), tutorcore.TutorcoreError)
        self.assertEqual(err.status, -42)
        self.assertIn("status -42", str(err))

    def test_raised_error_carries_last_error(self):
        with self.assertRaises(tutorcore.VersionError) as ctx:
            tutorcore.StoreOptions.defaults(tutorcore.STORE_OPTIONS_VERSION + 1)
        self.assertEqual(ctx.exception.status, tutorcore.Status.EVERSION)
        self.assertIn("tc_store_options version", ctx.exception.message)
        self.assertEqual(ctx.exception.function, "tc_store_options_init")
        # The next successful call clears the thread's last error.
        tutorcore.StoreOptions.defaults()
        self.assertEqual(_native.last_error(), "")


class StructLayoutTest(unittest.TestCase):
    def test_fields_in_header_order(self):
        for struct, cls in (
            ("tc_store_options", tutorcore.StoreOptions),
            ("tc_event", tutorcore.Event),
            ("tc_bkt_params", tutorcore.BktParams),
            ("tc_classifier", _native.ClassifierStruct),
        ):
            self.assertEqual(header_struct_fields(struct), [f[0] for f in cls._fields_], struct)

    def test_store_options_init_semantics(self):
        opts = tutorcore.StoreOptions.defaults()
        # TC_STORE_OPTIONS_INIT: { VERSION, TC_STORE_SQLITE, NULL, 0, 5000, 1000000, 0 }
        self.assertEqual(opts.version, header_define("TC_STORE_OPTIONS_VERSION"))
        self.assertEqual(opts.backend, tutorcore.STORE_SQLITE)
        self.assertIsNone(opts.path)
        self.assertEqual(opts.durability, tutorcore.DURABILITY_NORMAL)
        self.assertEqual(opts.busy_timeout_ms, 5000)
        self.assertEqual(opts.checkpoint_every, 1000000)
        self.assertEqual(opts.allow_personal_data, 0)
        names = ["STORE_SQLITE", "STORE_MEMORY", "DURABILITY_NORMAL", "DURABILITY_FULL",
                 "EVENT_VERSION", "STORE_OPTIONS_VERSION", "CLASSIFIER_VERSION"]
        if "#define TC_STORE_POSTGRES" in HEADER_TEXT:
            names.append("STORE_POSTGRES")
        for name in names:
            self.assertEqual(getattr(tutorcore, name), header_define("TC_" + name), name)
        self.assertEqual([c.value for c in tutorcore.Combine], [0, 1, 2])

    def test_natural_alignment(self):
        ptr = ctypes.sizeof(ctypes.c_void_p)
        self.assertEqual(tutorcore.StoreOptions.path.offset, ptr)  # after two 32-bit fields
        self.assertEqual(tutorcore.Event.tenant.offset, ptr)
        self.assertEqual(ctypes.sizeof(tutorcore.BktParams), 5 * 8)
        # tc_classifier: a 32-bit version, then five pointers.
        self.assertEqual(_native.ClassifierStruct.userdata.offset, ptr)
        self.assertEqual(ctypes.sizeof(_native.ClassifierStruct), 6 * ptr)


class LoaderTest(unittest.TestCase):
    def test_candidates_order(self):
        with mock.patch.dict(os.environ, {"TUTORCORE_LIBRARY": "/env/libtutorcore.so.0"}):
            self.assertEqual(
                _native.candidates("/explicit/libtutorcore.so.0"),
                [("path argument", "/explicit/libtutorcore.so.0")],
            )
            self.assertEqual(
                _native.candidates(), [("$TUTORCORE_LIBRARY", "/env/libtutorcore.so.0")]
            )
        with mock.patch.dict(os.environ, {}, clear=False):
            os.environ.pop("TUTORCORE_LIBRARY", None)
            with mock.patch("ctypes.util.find_library", return_value="libtutorcore.so.0"):
                self.assertEqual(
                    _native.candidates(),
                    [("ctypes.util.find_library", "libtutorcore.so.0")],
                )
            with mock.patch("ctypes.util.find_library", return_value="libtutorcore.so.1"):
                # Another ABI's library is skipped.
                self.assertEqual(_native.candidates(), [("default loader path", "libtutorcore.so.0")])
            with mock.patch("ctypes.util.find_library", return_value=None):
                self.assertEqual(_native.candidates(), [("default loader path", "libtutorcore.so.0")])

    def test_bad_environment_variable(self):
        proc = run_python(
            "import tutorcore\n"
            "try:\n    tutorcore.version()\n"
            "except tutorcore.LibraryNotFound as e:\n    print('NOTFOUND', e)\n",
            {"TUTORCORE_LIBRARY": "/no/such/libtutorcore.so.0"},
        )
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("NOTFOUND", proc.stdout)
        self.assertIn("$TUTORCORE_LIBRARY", proc.stdout)
        self.assertIn("/no/such/libtutorcore.so.0", proc.stdout)

    def test_explicit_path_wins_over_environment(self):
        lib = _native.lib().path
        proc = run_python(
            "import tutorcore\n"
            "tutorcore.load_library({!r})\n"
            "print(tutorcore.version(), tutorcore._native.lib().source)\n".format(lib),
            {"TUTORCORE_LIBRARY": "/no/such/libtutorcore.so.0"},
        )
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout.split(), [tutorcore.version(), "path", "argument"])

    def test_default_loader_path(self):
        lib = _native.lib().path
        if not os.path.isabs(lib):
            self.skipTest("the library was not loaded from a file path")
        proc = run_python(
            "import tutorcore\nprint(tutorcore.version(), tutorcore.library_path())\n",
            {"LD_LIBRARY_PATH": os.path.dirname(lib)},
            drop=("TUTORCORE_LIBRARY",),
        )
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout.split()[0], tutorcore.version())
        self.assertIn("libtutorcore.so.0", proc.stdout)

    def test_import_does_not_load(self):
        proc = run_python(
            "import tutorcore, tutorcore._native as n\nprint(n._loaded is None)\n",
            {"TUTORCORE_LIBRARY": "/no/such/libtutorcore.so.0"},
        )
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout.strip(), "True")


if __name__ == "__main__":
    unittest.main()
