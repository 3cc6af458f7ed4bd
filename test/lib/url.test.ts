import { describe, expect, it } from 'vitest'
import { resolveUrl } from '../../lib/url.ts'

describe('resolveUrl: a relative url goes under the baseUrl path', () => {
  it.each([
    ['https://gw/staging', '/health', 'https://gw/staging/health'],
    ['https://gw/staging', 'health', 'https://gw/staging/health'],
    ['https://gw/staging/', '/health', 'https://gw/staging/health'],
    ['https://gw/staging/', 'health', 'https://gw/staging/health'],
    ['https://gw/a/b', '/c/d?x=1#f', 'https://gw/a/b/c/d?x=1#f'],
    ['https://gw', '/health', 'https://gw/health'],
    ['https://gw/', 'health', 'https://gw/health'],
    ['https://gw:8443/staging', '/', 'https://gw:8443/staging/'],
    ['https://gw/staging?token=q', '/health', 'https://gw/staging/health'],
    ['https://gw/staging', 'https://other/x', 'https://other/x'],
    ['https://gw/staging', '//other/x', 'https://other/x'],
  ])('%s + %s → %s', (baseUrl, url, want) => {
    expect(resolveUrl(url, baseUrl).toString()).toBe(want)
  })

})
