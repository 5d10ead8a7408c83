import { ErrorCode } from '@reget/core';
import { collectBody, makeContent, rawForGet, rawResponse, withRemote } from '@reget/testkit';
import { describe, expect, it } from 'vitest';
import { useHttpServer } from '../test/http-fixture.js';

const { server, content, fresh, read, readError } = useHttpServer();
const statOf = (url: string) =>
  withRemote(server().adapter, url, (remote) => remote.stat(new AbortController().signal));

describe('honoured ranges (FAULTS HTTP-01)', () => {
  it('asks bytes=40- with identity and a strong If-Range, and reports the 206', async () => {
    const url = await fresh();
    const validator = (await statOf(url)).validator;
    const response = await read(url, { start: 40, validator });
    expect(response).toMatchObject({ start: 40, end: 100, total: 100, validator });
    expect(response.bytes.equals(content.subarray(40))).toBe(true);
    const request = server().requests.at(-1);
    expect(request?.headers.range).toBe('bytes=40-');
    expect(request?.headers['accept-encoding']).toBe('identity');
    expect(request?.headers['if-range']).toBe(validator?.value.replace(/^etag:/, ''));
  });

  it('asks a closed range for an end, and no Range at all from 0 to the end', async () => {
    const url = await fresh();
    const middle = await read(url, { start: 10, end: 20 });
    expect(server().requests.at(-1)?.headers.range).toBe('bytes=10-19');
    expect(middle).toMatchObject({ start: 10, end: 20, total: 100 });
    expect(middle.bytes.equals(content.subarray(10, 20))).toBe(true);
    const whole = await read(url, { start: 0 });
    expect(server().requests.at(-1)?.headers.range).toBeUndefined();
    expect(whole).toMatchObject({ start: 0, end: 100, total: 100 });
  });

  it('accepts the range unit in any case', async () => {
    const url = await fresh();
    server().setFaults(
      rawForGet(
        rawResponse(
          '206 Partial Content',
          ['Content-Range: Bytes 40-99/100', 'Content-Length: 60'],
          content.subarray(40),
        ),
      ),
    );
    expect(await read(url, { start: 40 })).toMatchObject({ start: 40, end: 100, total: 100 });
  });

  it('serves two reads of one remote at once (segments)', async () => {
    const url = await fresh(makeContent(300_000, 8));
    const whole = makeContent(300_000, 8);
    await withRemote(server().adapter, url, async (remote) => {
      const signal = new AbortController().signal;
      const [a, b] = await Promise.all([
        remote.read({ start: 0, end: 150_000, signal }),
        remote.read({ start: 150_000, signal }),
      ]);
      const [first, second] = await Promise.all([collectBody(a.body), collectBody(b.body)]);
      expect(Buffer.concat([first, second]).equals(whole)).toBe(true);
    });
  });
});

describe('answers that are not the asked range', () => {
  it('reports a 200 as the whole file from 0 (HTTP-02)', async () => {
    const url = await fresh();
    server().setFaults({ ignoreRange: true });
    const response = await read(url, { start: 40 });
    expect(response).toMatchObject({ start: 0, end: 100, total: 100 });
    expect(response.bytes.equals(content)).toBe(true);
  });

  it('ignores a Content-Range on a 200 (HTTP-02)', async () => {
    const url = await fresh();
    server().setFaults(
      rawForGet(rawResponse('200 OK', ['Content-Range: bytes 40-99/100', 'Content-Length: 100'], content)),
    );
    expect(await read(url, { start: 40 })).toMatchObject({ start: 0, end: 100, total: 100 });
  });

  it('reports a 416 with the total it names, or none (HTTP-03, HTTP-04)', async () => {
    const url = await fresh();
    const complete = await read(url, { start: 100 });
    expect(complete).toMatchObject({ isUnsatisfiable: true, total: 100 });
    expect(complete.bytes.length).toBe(0);
    expect((await read(url, { start: 168 })).total).toBe(100);
    server().setFaults({ unsatisfiableWithoutTotal: true });
    expect(await read(url, { start: 100 })).toMatchObject({ isUnsatisfiable: true, total: undefined });
  });

  it('reports a shifted 206 where it really starts (HTTP-05)', async () => {
    const url = await fresh();
    server().setFaults({ shiftRangeBy: -8 });
    const earlier = await read(url, { start: 40 });
    expect(earlier).toMatchObject({ start: 32, end: 100, total: 100 });
    expect(earlier.bytes.equals(content.subarray(32))).toBe(true);
    server().setFaults({ shiftRangeBy: 8 });
    expect(await read(url, { start: 40 })).toMatchObject({ start: 48, end: 100 });
  });

  it('reports a whole-file 206 and an honest short slice as they are (HTTP-07)', async () => {
    const url = await fresh();
    server().setFaults(
      rawForGet(
        rawResponse('206 Partial Content', ['Content-Range: bytes 0-99/100', 'Content-Length: 100'], content),
      ),
    );
    expect(await read(url, { start: 40 })).toMatchObject({ start: 0, end: 100, total: 100 });
    server().setFaults(
      rawForGet(
        rawResponse(
          '206 Partial Content',
          ['Content-Range: bytes 40-69/100', 'Content-Length: 30'],
          content.subarray(40, 70),
        ),
      ),
    );
    const short = await read(url, { start: 40 });
    expect(short).toMatchObject({ start: 40, end: 70, total: 100 });
    expect(short.bytes.equals(content.subarray(40, 70))).toBe(true);
  });

  it('reports a stale If-Range answered with 200, and a 206 of a changed file with its new ETag (CHG-01, CHG-03)', async () => {
    const url = await fresh();
    const path = new URL(url).pathname;
    const old = (await statOf(url)).validator;
    await server().putFile(path, makeContent(100, 6));
    const restarted = await read(url, { start: 40, validator: old });
    expect(restarted.start).toBe(0);
    expect(restarted.validator?.value).not.toBe(old?.value);
    server().setFaults({ ignoreIfRange: true });
    const ignored = await read(url, { start: 40, validator: old });
    expect(ignored.start).toBe(40);
    expect(ignored.validator?.value).not.toBe(old?.value);
  });
});

describe('unusable answers are PROTOCOL (FAULTS HTTP-06, HTTP-08, HTTP-09, SEC-08)', () => {
  const body = content.subarray(40);
  it.each([
    ['no Content-Range', ['Content-Length: 60']],
    ['a reversed range', ['Content-Range: bytes 60-40/100', 'Content-Length: 60']],
    ['a range past the total', ['Content-Range: bytes 40-99/99', 'Content-Length: 60']],
    ['another unit', ['Content-Range: items 40-99/100', 'Content-Length: 60']],
    [
      'multipart/byteranges',
      [
        'Content-Type: multipart/byteranges; boundary=x',
        'Content-Range: bytes 40-99/100',
        'Content-Length: 60',
      ],
    ],
    ['Content-Length = the total', ['Content-Range: bytes 40-99/100', 'Content-Length: 100']],
    [
      '20-digit positions',
      ['Content-Range: bytes 40-36893488147419103232/36893488147419103233', 'Content-Length: 60'],
    ],
  ])('a 206 with %s', async (_, headers) => {
    const url = await fresh();
    server().setFaults(rawForGet(rawResponse('206 Partial Content', headers, body)));
    expect((await readError(url, { start: 40 })).code).toBe(ErrorCode.PROTOCOL);
  });

  it.each(['6,7', '6, 6', '-6', 'crap', '9223372036854775807', '36893488147419103232'])(
    'a Content-Length of %s',
    async (length) => {
      const url = await fresh();
      server().setFaults(rawForGet(rawResponse('200 OK', [`Content-Length: ${length}`], 'abcdef')));
      expect((await readError(url, { start: 0 })).code).toBe(ErrorCode.PROTOCOL);
    },
  );

  it('a gzip range from a server that codes anyway; identity is asked and kept otherwise (HTTP-09)', async () => {
    const url = await fresh();
    server().setFaults({ gzip: 'when-asked' });
    const plain = await read(url, { start: 40 });
    expect(plain.bytes.equals(content.subarray(40))).toBe(true);
    server().setFaults({ gzip: 'always' });
    // Refused as a range (core restarts from zero, or fails when restart is refused), never appended.
    expect((await readError(url, { start: 40 })).code).toBe(ErrorCode.RANGE_NOT_SUPPORTED);
    server().setFaults(
      rawForGet(
        rawResponse(
          '206 Partial Content',
          ['Content-Range: bytes 40-99/100', 'Content-Length: 60', 'Content-Encoding: gzip'],
          body,
        ),
      ),
    );
    expect((await readError(url, { start: 40 })).code).toBe(ErrorCode.RANGE_NOT_SUPPORTED);
  });

  it('never decodes a coded 200: the bytes are what was sent (SEC-09)', async () => {
    const url = await fresh();
    server().setFaults({ gzip: 'always' });
    const coded = await read(url, { start: 0 });
    expect(coded.bytes.subarray(0, 2).toString('hex')).toBe('1f8b');
    expect(coded.total).toBe(coded.bytes.length);
  });
});
