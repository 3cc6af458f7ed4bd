import { execFileSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { UsageError } from '../../../lib/errors.ts'
import { explainWriteError, fallbackReportDir, prepareReportDir } from '../../../lib/report/folder.ts'

/** The report folder: proven writable before a run, explained in words when it is not. */

const root = mkdtempSync(join(tmpdir(), 'rbk-folder-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

const err = (code: string, message = `${code}: something`) => Object.assign(new Error(message), { code })

describe('explainWriteError', () => {
  it.each([
    ['EROFS', /^read-only file system \(EROFS/],
    ['EACCES', /^permission denied \(EACCES/],
    ['EPERM', /^permission denied \(EPERM/],
    ['ENOTDIR', /^a part of the path is a file, not a folder \(ENOTDIR/],
    ['EEXIST', /^a file, not a folder, is in the way/],
    ['ENOSPC', /^no space left on the device/],
  ])('%s', async (code, words) => {
    expect(await explainWriteError(err(code), join(root, 'x'))).toMatch(words)
  })
})

describe('prepareReportDir', () => {
  it('creates the folder (and its parents) and leaves no probe behind', async () => {
    const dir = join(root, 'a', 'b', 'c')
    await prepareReportDir(dir)
    expect(readdirSync(dir)).toEqual([])
  })

  it('a path through a file is a usage error saying so', async () => {
    const file = join(root, 'README.md')
    writeFileSync(file, 'x')
    await expect(prepareReportDir(join(file, 'sub'))).rejects.toThrow(UsageError)
    await expect(prepareReportDir(join(file, 'sub'))).rejects.toThrow(`cannot use report directory ${join(file, 'sub')}: a part of the path is a file, not a folder (ENOTDIR`)
    await expect(prepareReportDir(file)).rejects.toThrow(/a file, not a folder, is in the way/)
  })

  it('a folder the user may not write is "permission denied" (run as an unprivileged user)', async (ctx) => {
    if (process.getuid?.() !== 0 || !existsSync('/usr/sbin/runuser')) return ctx.skip()
    const ro = join(root, 'ro')
    mkdirSync(ro)
    chmodSync(ro, 0o555)
    chmodSync(root, 0o755)
    const script = `import('${join(import.meta.dirname, '../../../lib/report/folder.ts')}').then((m) => m.prepareReportDir('${join(ro, 'sub')}')).then(() => console.log('ok'), (e) => console.log(e.message))`
    const out = execFileSync('runuser', ['-u', 'nobody', '--', process.execPath, '--import', 'tsx', '-e', script], { cwd: join(import.meta.dirname, '../../..'), encoding: 'utf8', env: { ...process.env, HOME: root } })
    expect(out.trim()).toBe(`cannot use report directory ${join(ro, 'sub')}: permission denied (EACCES: permission denied, mkdir '${join(ro, 'sub')}')`)
  })

  it('a read-only file system is called read-only, not ENOENT as mkdir reports it (needs mount: skipped without)', async (ctx) => {
    const mnt = join(root, 'readonly')
    mkdirSync(mnt)
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', mnt], { stdio: 'ignore' })
    } catch {
      return ctx.skip()
    }
    try {
      await expect(prepareReportDir(join(mnt, 'sub', 'deeper'))).rejects.toThrow(`cannot use report directory ${join(mnt, 'sub', 'deeper')}: read-only file system: ${mnt} cannot be written (ENOENT`)
      await expect(prepareReportDir(mnt)).rejects.toThrow(/: read-only file system \(EROFS/)
    } finally {
      execFileSync('umount', [mnt])
    }
  })
})

describe('fallbackReportDir', () => {
  it('is a new folder under the OS temp folder, named after the suite', async () => {
    const dir = await fallbackReportDir('deploy')
    try {
      expect(dir.startsWith(join(tmpdir(), 'runbook-kit-deploy-record-'))).toBe(true)
      expect(readdirSync(dir)).toEqual([])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
