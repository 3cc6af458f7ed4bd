import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeText, loadYamlFile } from '../../lib/config.ts'
import { ConfigError } from '../../lib/errors.ts'
import { loadTarget } from '../../smoke/target-file.ts'
import { runCli } from '../helpers/cli.ts'

/** Hostile or broken configuration files are configuration errors (exit 2) naming the file, never crashes. */
let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rbk-config-files-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const write = (name: string, content: string | Buffer) => {
  const p = join(dir, name)
  writeFileSync(p, content)
  return p
}

// The "billion laughs" of YAML: 9 levels of 9 aliases expand to 9^9 strings.
const ALIAS_BOMB = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]', ...'bcdefghi'.split('').map((c, i) => `${c}: &${c} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`), 'checks: *i', ''].join('\n')

describe('configuration files that are not what they claim', () => {
  it('a YAML alias bomb is a configuration error, not an out-of-memory crash', async () => {
    const err = await loadYamlFile(write('bomb.yaml', ALIAS_BOMB)).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as ConfigError).message).toMatch(/alias/i)
  })

  it.each([
    ['Latin-1 bytes', Buffer.concat([Buffer.from('checks:\n  - id: caf'), Buffer.from([0xe9]), Buffer.from('\n')]), /not UTF-8 text: invalid byte 0xe9 at offset 19 \(line 2\)/],
    ['a NUL byte', Buffer.from('checks:\n  - id: a\u0000b\n'), /NUL byte at line 2/],
  ])('%s: a configuration error that says where', (_name, bytes, message) => {
    expect(() => decodeText(bytes, 'x.yaml')).toThrow(message)
  })

  it('a UTF-8 byte order mark is accepted (editors on Windows write one)', () => {
    expect(decodeText(Buffer.from('\ufeffchecks: []', 'utf8'), 'x.yaml')).toBe('checks: []')
  })

  it('a folder given as the target file says so', async () => {
    await expect(loadYamlFile(dir)).rejects.toThrow(/is a directory/)
  })

  it('more checks than a target may hold is a configuration error before anything is validated', async () => {
    const file = write('many.yaml', `checks:\n${Array.from({ length: 4 }, (_, i) => `  - { id: c${i}, kind: http, url: "http://127.0.0.1:9/" }`).join('\n')}\n`)
    await expect(loadTarget(file, { maxChecks: 4 })).resolves.toBeTruthy()
    await expect(loadTarget(file, { maxChecks: 3 })).rejects.toThrow(/has 4 checks: more than 3, the most one target file may hold/)
  })

  it('the smoke command exits 2 (not 1, "internal error") on an alias bomb and on non-UTF-8 bytes', async () => {
    for (const file of [write('bomb-target.yaml', ALIAS_BOMB), write('latin1.yaml', Buffer.concat([Buffer.from('checks:\n  - id: caf'), Buffer.from([0xe9]), Buffer.from('\n    kind: http\n')]))]) {
      const run = await runCli(['smoke', '--target', file, '--report-dir', join(dir, 'r')])
      expect(run.code, run.stdout + run.stderr).toBe(2)
      expect(run.stdout + run.stderr).toMatch(/configuration error/)
    }
  })
})
