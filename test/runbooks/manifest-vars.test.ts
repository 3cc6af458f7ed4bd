import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ConfigError } from '../../lib/errors.ts'
import { renderManifest, renderManifests, unknownManifestVariables } from '../../runbooks/manifest-vars.ts'

const VARS = { VERSION: 'v1.1.0', REGISTRY: 'registry.test/app', NAMESPACE: 'production', DOMAIN: 'api.example.com', DB_HOST: 'db.internal' }

describe('renderManifest', () => {
  it.each([
    ['documented variables', 'image: ${REGISTRY}/api:${VERSION}', 'image: registry.test/app/api:v1.1.0'],
    ['an infrastructure output', 'host: ${DB_HOST}', 'host: db.internal'],
    ['$${X} is a literal ${X}', 'cmd: echo $${HOME} $${VERSION}', 'cmd: echo ${HOME} ${VERSION}'],
    ['lower-case and expressions are left alone', 'a: ${foo} b: ${x:-y} c: $HOME', 'a: ${foo} b: ${x:-y} c: $HOME'],
    ['a value is not substituted again', 'v: ${VERSION}', 'v: v1.1.0'],
  ])('%s', (_name, text, expected) => {
    expect(renderManifest(text, VARS, 'm.yaml')).toBe(expected)
  })

  it.each([
    ['a typo', 'image: ${REGISTRY}/api:${VERSON}', ['VERSON']],
    ['several, once each, in order', '${A_B} ${VERSION} ${ZED} ${A_B}', ['A_B', 'ZED']],
    ['none when escaped', '$${VERSON}', []],
    ['none in lower case', '${verson}', []],
  ])('unknown variables: %s', (_name, text, unknown) => {
    expect(unknownManifestVariables(text, VARS)).toEqual(unknown)
  })

  it('an unknown ${UPPER_CASE} name is a ConfigError naming the file and the variable, never an empty string', () => {
    expect(() => renderManifest('image: ${REGISTRY}/api:${VERSON}', VARS, 'api-deployment.yaml')).toThrow(ConfigError)
    expect(() => renderManifest('image: ${REGISTRY}/api:${VERSON}', VARS, 'api-deployment.yaml')).toThrow(/api-deployment\.yaml: unknown variable\(s\) \$\{VERSON\}; known: DB_HOST, DOMAIN, NAMESPACE, REGISTRY, VERSION/)
  })
})

describe('renderManifests', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rbk-manifest-vars-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('checks every file before returning, and names each file with its unknown variables', async () => {
    writeFileSync(join(dir, 'a.yaml'), 'x: ${VERSION}\n')
    writeFileSync(join(dir, 'b.yaml'), 'x: ${VERSON}\n')
    writeFileSync(join(dir, 'c.yaml'), 'x: ${REGISTY} ${NAMESPACE}\n')
    await expect(renderManifests(dir, ['a.yaml'], VARS)).resolves.toEqual([{ file: 'a.yaml', text: 'x: v1.1.0\n' }])
    const err = (await renderManifests(dir, ['a.yaml', 'b.yaml', 'c.yaml'], VARS).catch((e: unknown) => e)) as ConfigError
    expect(err).toBeInstanceOf(ConfigError)
    expect(err.message).toContain('b.yaml: ${VERSON}; c.yaml: ${REGISTY}')
    expect(err.file).toBe(join(dir, 'b.yaml'))
  })
})
