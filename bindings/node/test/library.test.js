// Loading the library, versions, status codes, the error classes and the
// struct layouts against the public header.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';

import koffi from 'koffi';

import * as tc from '../index.js';
import { FUNCTIONS, candidates, loadedLibrary } from '../lib/native.js';
import { HEADER, PACKAGE } from './support.js';

const HEADER_TEXT = fs.readFileSync(HEADER, 'utf8');

function headerDefine(name) {
  const m = new RegExp(`#define ${name}\\s+(?:\\\\\\s*)?(-?\\d+)`).exec(HEADER_TEXT);
  assert.ok(m, name);
  return Number(m[1]);
}

function headerStructFields(name) {
  const m = new RegExp(`typedef struct ${name} \\{(.*?)\\} ${name};`, 's').exec(HEADER_TEXT);
  assert.ok(m, name);
  const body = m[1].replace(/\/\*.*?\*\//gs, '');
  return body
    .split(';')
    .map((d) => d.trim())
    .filter(Boolean)
    .map((d) => d.match(/\w+/g).at(-1));
}

function runNode(code, env, drop = []) {
  const full = { ...process.env, ...env };
  for (const key of drop) delete full[key];
  const index = JSON.stringify(path.join(PACKAGE, 'index.js'));
  return spawnSync(process.execPath, ['--input-type=module', '-e', `import * as tc from ${index};\n${code}`], {
    env: full,
    encoding: 'utf8',
    timeout: 60000,
  });
}

describe('versions and status codes', () => {
  test('the version matches the header', () => {
    const major = headerDefine('TC_VERSION_MAJOR');
    const minor = headerDefine('TC_VERSION_MINOR');
    const patch = headerDefine('TC_VERSION_PATCH');
    assert.equal(tc.version(), `${major}.${minor}.${patch}`);
    assert.equal(tc.versionNumber(), major * 1000000 + minor * 1000 + patch);
    assert.deepEqual(tc.versionInfo(), { major, minor, patch });
    assert.equal(tc.ABI_VERSION, headerDefine('TC_ABI_VERSION'));
  });

  test('the library path', () => {
    assert.match(path.basename(tc.libraryPath()), /tutorcore/);
    const expected = process.env.TUTORCORE_LIBRARY;
    if (expected) {
      assert.equal(tc.libraryPath(), expected);
      assert.equal(tc.librarySource(), '$TUTORCORE_LIBRARY');
      // Loading the same file again is fine; another file is refused.
      assert.equal(tc.loadLibrary(expected).path, expected);
      assert.throws(() => tc.loadLibrary(path.join(path.dirname(expected), 'other.so')), /already loaded/);
    }
  });

  test('status codes match the header', () => {
    for (const [name, code] of Object.entries(tc.Status)) {
      const m = new RegExp(`TC_${name} = (-?\\d+)`).exec(HEADER_TEXT);
      assert.ok(m, name);
      assert.equal(Number(m[1]), code);
      assert.ok(tc.statusStr(code).startsWith(`TC_${name}`));
      if (code !== 0) assert.equal(tc.statusName(code), `TC_${name}`);
    }
    assert.equal(tc.statusStr(12345), 'unknown status');
  });

  test('every function of the header that the library exports is bound', () => {
    const declared = new Set([...HEADER_TEXT.matchAll(/TC_API [^;]*?\b(tc_\w+)\(/gs)].map((m) => m[1]));
    const bound = new Set(FUNCTIONS);
    assert.deepEqual(
      [...bound].filter((f) => !declared.has(f)),
      [],
      'bound but not in tutorcore.h',
    );
    // The header may run ahead of the library being tested (functions
    // declared, not built yet): those the library exports must be bound.
    const { handle } = loadedLibrary() ?? tc.loadLibrary();
    const exported = [...declared].filter((name) => {
      try {
        handle.func(`void ${name}(void)`);
        return true;
      } catch {
        return false;
      }
    });
    assert.deepEqual(
      exported.filter((f) => !bound.has(f)),
      [],
      'in tutorcore.h and the library but not bound: declare them in bindings/node/lib/native.js, ' +
        'give them a method and a declaration in index.d.ts',
    );
    assert.ok(FUNCTIONS.length >= 39);
  });
});

describe('errors', () => {
  test('one class per status', () => {
    const cases = [
      [tc.InvalidArgumentError, -1],
      [tc.NotFoundError, -2],
      [tc.AlreadyExistsError, -3],
      [tc.StorageError, -4],
      [tc.UnavailableError, -5],
      [tc.VersionError, -6],
      [tc.CancelledError, -7],
      [tc.OutOfMemoryError, -8],
      [tc.InternalError, -9],
    ];
    for (const [Cls, code] of cases) {
      const err = tc.errorForStatus(code, 'what went wrong', 'tc_x');
      assert.equal(err.constructor, Cls);
      assert.ok(err instanceof tc.TutorcoreError);
      assert.ok(err instanceof Error);
      assert.equal(err.name, Cls.name);
      assert.equal(err.status, code);
      assert.equal(Cls.status, code);
      assert.equal(err.code, tc.statusName(code));
      assert.equal(err.message, 'what went wrong');
      assert.equal(err.function, 'tc_x');
      assert.equal(String(err), `${Cls.name}: tc_x: what went wrong [${err.code}]`);
      const direct = new Cls('made by hand');
      assert.equal(direct.status, code);
      assert.equal(direct.function, null);
    }
  });

  test('an unknown status is the base class', () => {
    const err = tc.errorForStatus(-42, 'new code');
    assert.equal(err.constructor, tc.TutorcoreError);
    assert.equal(err.status, -42);
    assert.equal(err.code, 'status -42');
  });

  test('a raised error carries tc_last_error(), and the next success clears it', () => {
    assert.throws(() => tc.storeOptionsInit(tc.STORE_OPTIONS_VERSION + 1), {
      name: 'VersionError',
      function: 'tc_store_options_init',
      message: /tc_store_options version/,
    });
    tc.storeOptionsInit();
    assert.equal(loadedLibrary().fns.tc_last_error(), '');
  });
});

describe('struct layouts', () => {
  test('fields in header order, natural alignment', () => {
    const { types } = loadedLibrary() ?? tc.loadLibrary();
    for (const [name, type] of [
      ['tc_store_options', types.StoreOptions],
      ['tc_event', types.Event],
      ['tc_bkt_params', types.BktParams],
      ['tc_classifier', types.Classifier],
    ]) {
      assert.deepEqual(Object.keys(type.members), headerStructFields(name), name);
    }
    const ptr = koffi.sizeof('void *');
    assert.equal(koffi.offsetof(types.StoreOptions, 'path'), ptr); // after two 32-bit fields
    assert.equal(koffi.offsetof(types.Event, 'tenant'), ptr);
    assert.equal(koffi.sizeof(types.BktParams), 5 * 8);
    // tc_classifier: a 32-bit version, then five pointer-sized fields.
    assert.equal(koffi.offsetof(types.Classifier, 'userdata'), ptr);
    assert.equal(koffi.sizeof(types.Classifier), 6 * ptr);
    for (const name of [
      'STORE_SQLITE',
      'STORE_MEMORY',
      'DURABILITY_NORMAL',
      'DURABILITY_FULL',
      'EVENT_VERSION',
      'STORE_OPTIONS_VERSION',
      'CLASSIFIER_VERSION',
    ]) {
      assert.equal(tc[name], headerDefine(`TC_${name}`), name);
    }
    if (HEADER_TEXT.includes('#define TC_STORE_POSTGRES'))
      assert.equal(tc.STORE_POSTGRES, headerDefine('TC_STORE_POSTGRES'));
    assert.deepEqual(Object.values(tc.Combine), [0, 1, 2]);
  });
});

describe('loading', () => {
  test('the candidates, in order', () => {
    const env = { TUTORCORE_LIBRARY: '/env/libtutorcore.so.0' };
    assert.deepEqual(candidates('/explicit/libtutorcore.so.0', env), [
      { source: 'path option', name: '/explicit/libtutorcore.so.0' },
    ]);
    assert.deepEqual(candidates(undefined, env), [{ source: '$TUTORCORE_LIBRARY', name: '/env/libtutorcore.so.0' }]);
    assert.deepEqual(candidates(undefined, {}), [{ source: 'default loader path', name: 'libtutorcore.so.0' }]);
  });

  test('a bad TUTORCORE_LIBRARY is LibraryNotFoundError naming it', () => {
    const proc = runNode('try { tc.version(); } catch (e) { console.log(e.name, e.code, e.message); }', {
      TUTORCORE_LIBRARY: '/no/such/libtutorcore.so.0',
    });
    assert.equal(proc.status, 0, proc.stderr);
    assert.match(proc.stdout, /^LibraryNotFoundError ERR_TUTORCORE_LIBRARY_NOT_FOUND/);
    assert.match(proc.stdout, /\$TUTORCORE_LIBRARY/);
    assert.match(proc.stdout, /\/no\/such\/libtutorcore\.so\.0/);
  });

  test('an explicit path wins over the environment', () => {
    const lib = tc.libraryPath();
    const proc = runNode(`tc.loadLibrary(${JSON.stringify(lib)}); console.log(tc.version(), tc.librarySource());`, {
      TUTORCORE_LIBRARY: '/no/such/libtutorcore.so.0',
    });
    assert.equal(proc.status, 0, proc.stderr);
    assert.equal(proc.stdout.trim(), `${tc.version()} path option`);
  });

  test('the default loader path (LD_LIBRARY_PATH)', (t) => {
    const lib = tc.libraryPath();
    if (!path.isAbsolute(lib) || process.platform !== 'linux') {
      t.skip('the library was not loaded from a file path');
      return;
    }
    const proc = runNode(
      'console.log(tc.version(), tc.libraryPath(), tc.librarySource());',
      {
        LD_LIBRARY_PATH: path.dirname(lib),
      },
      ['TUTORCORE_LIBRARY'],
    );
    assert.equal(proc.status, 0, proc.stderr);
    assert.equal(proc.stdout.trim(), `${tc.version()} libtutorcore.so.0 default loader path`);
  });

  test('importing the package loads nothing', () => {
    const proc = runNode(
      `const native = await import(${JSON.stringify(path.join(PACKAGE, 'lib', 'native.js'))});\n` +
        'console.log(native.loadedLibrary() === null);',
      { TUTORCORE_LIBRARY: '/no/such/libtutorcore.so.0' },
    );
    assert.equal(proc.status, 0, proc.stderr);
    assert.equal(proc.stdout.trim(), 'true');
  });
});
