import { ErrorCode, isRegetError } from '@reget/core';
import { describe, expect, it } from 'vitest';
import { parseSftpUrl } from './url.js';

const codeOf = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    return isRegetError(error) ? error.code : 'not a RegetError';
  }
  return 'no error';
};

describe('parseSftpUrl', () => {
  it('reads host, default port 22 and an absolute path', () => {
    const location = parseSftpUrl(new URL('sftp://example.org/srv/data/file.bin'));
    expect(location).toMatchObject({ host: 'example.org', port: 22, path: '/srv/data/file.bin' });
    expect(location.username).toBeUndefined();
    expect(location.password).toBeUndefined();
  });

  it('percent-decodes user, password and path, and keeps them out of the display URL', () => {
    const location = parseSftpUrl(
      new URL('sftp://J%C3%BCrgen:p%40ss%3Aw%2Frd@127.0.0.1:2222/a%20b/c%23d.bin'),
    );
    expect(location).toMatchObject({
      username: 'Jürgen',
      password: 'p@ss:w/rd',
      port: 2222,
      path: '/a b/c#d.bin',
    });
    expect(location.displayUrl).toBe('sftp://127.0.0.1:2222/a%20b/c%23d.bin');
  });

  it('makes /~/ paths relative to the login directory (SFTP-03)', () => {
    expect(parseSftpUrl(new URL('sftp://host/~/file.bin')).path).toBe('file.bin');
    expect(parseSftpUrl(new URL('sftp://host/~/dir/file.bin')).path).toBe('dir/file.bin');
  });

  it('expands ~ only as the whole first element (curl CVE-2023-27534)', () => {
    expect(parseSftpUrl(new URL('sftp://host/~user/file.bin')).path).toBe('/~user/file.bin');
    expect(parseSftpUrl(new URL('sftp://host/~2/file.bin')).path).toBe('/~2/file.bin');
    expect(parseSftpUrl(new URL('sftp://host/dir/~/file.bin')).path).toBe('/dir/~/file.bin');
  });

  it('strips the brackets of an IPv6 host', () => {
    expect(parseSftpUrl(new URL('sftp://[::1]:2022/f')).host).toBe('::1');
  });

  it('refuses URLs that name no file, or carry malformed escapes or NUL bytes, as BAD_INPUT', () => {
    for (const url of [
      'sftp://host/',
      'sftp://host/dir/',
      'sftp://host/~/',
      'sftp://host/~',
      'sftp://host/a%00b',
    ]) {
      expect(
        codeOf(() => parseSftpUrl(new URL(url))),
        url,
      ).toBe(ErrorCode.BAD_INPUT);
    }
    expect(codeOf(() => parseSftpUrl(new URL('sftp://u:%E0%A4%A@host/f')))).toBe(ErrorCode.BAD_INPUT);
    expect(codeOf(() => parseSftpUrl(new URL('http://host/f')))).toBe(ErrorCode.BAD_INPUT);
  });

  it('never echoes a malformed password in its message', () => {
    try {
      parseSftpUrl(new URL('sftp://u:s3cr%ZZet@host/f'));
    } catch (error) {
      expect(String((error as Error).message)).not.toContain('s3cr');
      return;
    }
    throw new Error('expected BAD_INPUT');
  });
});
