import { access, constants, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { errorMessage, UsageError } from '../errors.ts'

/**
 * The report folder of a run: made and proven writable before anything runs (a bad --report-dir is
 * a usage error, exit 2, with nothing run), and a fallback under the OS temp folder when the final
 * write fails anyway (the folder was removed, the disk filled up), so the record is never lost.
 */

/** Creates `dir` (and its parents) and writes and removes a probe file in it. UsageError saying why in words. */
export async function prepareReportDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true })
    const probe = join(dir, `.runbook-kit-probe-${process.pid}`)
    await writeFile(probe, '', { flag: 'wx' })
    await rm(probe, { force: true })
  } catch (err) {
    throw new UsageError(`cannot use report directory ${dir}: ${await explainWriteError(err, dir)}`, { cause: err })
  }
}

/**
 * Why nothing can be written at `dir`, in words, with the system's code. Node's recursive mkdir
 * reports a folder that cannot be created on a read-only file system as ENOENT; the nearest folder
 * that exists is then asked, so it is called read-only (or permission denied) as it is.
 */
export async function explainWriteError(err: unknown, dir: string): Promise<string> {
  const code = (err as NodeJS.ErrnoException | undefined)?.code
  const detail = errorMessage(err)
  switch (code) {
    case 'EROFS':
      return `read-only file system (${detail})`
    case 'EACCES':
    case 'EPERM':
      return `permission denied (${detail})`
    case 'ENOTDIR':
      return `a part of the path is a file, not a folder (${detail})`
    case 'EEXIST':
      return `a file, not a folder, is in the way (${detail})`
    case 'ENOSPC':
      return `no space left on the device (${detail})`
    case 'EDQUOT':
      return `disk quota exceeded (${detail})`
    case 'ENOENT': {
      const ancestor = await nearestExisting(dir)
      const why = ancestor ? await access(ancestor, constants.W_OK).then(() => undefined, (e: NodeJS.ErrnoException) => e.code) : undefined
      if (why === 'EROFS') return `read-only file system: ${ancestor} cannot be written (${detail})`
      if (why === 'EACCES' || why === 'EPERM') return `permission denied: ${ancestor} cannot be written (${detail})`
      return detail
    }
    default:
      return detail
  }
}

async function nearestExisting(dir: string): Promise<string | undefined> {
  for (let d = dir; ; d = dirname(d)) {
    if (await access(d).then(() => true, () => false)) return d
    if (dirname(d) === d) return undefined
  }
}

/** A new folder under the OS temp folder for the record of a run whose report folder could not be written. */
export function fallbackReportDir(suite: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `runbook-kit-${suite.replace(/[^A-Za-z0-9_.-]+/g, '-')}-record-`))
}
