/** The text `reget --help` prints after the option list: resume behaviour, exit codes, examples. */
export const helpAfterOptions = `
Resuming:
  reget keeps an unfinished download as <file>.part with a journal <file>.reget beside it.
  Run the same command again after a failure, Ctrl-C or a crash and it fetches only the missing
  bytes. If the remote file changed in between, reget says so and starts again from zero
  (--no-restart makes that an error instead). The finished file is renamed into place only
  once its size, and its checksum when --checksum is given, are verified; after a checksum
  mismatch the bytes are kept as <file>.corrupt, for a look, and never under the file's name.
  Running a finished download again prints "already complete" and exits 0 when the file is still
  the remote's current version (same size and modification time, or, without a time, the same
  last 64 KiB). Any other existing file is never replaced unless --overwrite (or resumed, with
  --continue).

Mirrors:
  Several places serving one file: --mirror <url> (repeatable), tab-separated URLs on one line of
  -i, or --metalink. Segments come from all of them at once, any mix of HTTP, FTP and SFTP, one
  connection per source unless -c says otherwise. A mirror whose size differs, that keeps failing,
  that trickles far below the others, or whose bytes the others (or a Metalink's piece hashes)
  contradict is dropped, with a line saying why, and its ranges are fetched from the rest. A
  digest an HTTP server publishes (Repr-Digest, Digest) is checked when no --checksum is given.

Retries:
  A connection that is cut, reset or stalls is retried from the bytes on disk (--retries times in
  a row without progress). A connection refused, or a host name that does not resolve, before the
  server ever answered fails at once: a typo in the host or the port. Once the server has answered,
  a refusal is retried (the server may be restarting).

Passwords:
  Put the user in the URL (sftp://alice@host/path) and the password in REGET_PASSWORD, or use
  --password-prompt. A password in the URL works too, but other users can see command lines.
  reget never prints a password.

Exit codes:
  0    every file is complete (including "already complete")
  1    an unexpected error (a bug: run with --debug and report it)
  2    usage or bad input: malformed URL, unknown scheme, bad option value
  3    local file error: missing directory, no space, no permission, locked, or a file
       exists that is not the remote's current version
  4    network error after retries (refused, reset, timed out, cut short)
  5    TLS certificate or SSH host key could not be verified
  6    authentication failed
  7    the remote said not found, permission denied, or answered something unusable
  8    integrity: checksum mismatch (the bytes are kept as <file>.corrupt), or the remote
       changed and --no-restart was given
  130  interrupted (Ctrl-C); everything downloaded so far is kept
  With several URLs the exit code is the highest of their codes (130 if interrupted).

Examples:
  reget https://example.com/big.iso
  reget -o debian.iso --checksum sha256:<64 hex digits> https://example.com/big.iso
  reget -d downloads -j 3 -i urls.txt
  reget --checksum-file SHA256SUMS -d isos https://example.com/a.iso https://example.com/b.iso
  reget https://a.example/big.iso --mirror ftp://b.example/pub/big.iso --mirror sftp://c.example/big.iso
  reget --metalink https://example.com/big.iso.meta4 -d isos
  REGET_PASSWORD=secret reget sftp://alice@example.com/home/alice/data.tar
  reget --limit-rate 500K ftp://example.com/pub/file.zip
  reget demo        (downloads over HTTP, FTP and SFTP from servers on 127.0.0.1, with faults)

A fleet (BullMQ on Redis; see reget worker --help):
  reget enqueue --redis redis://127.0.0.1:6379 -i urls.txt
  reget worker --redis redis://127.0.0.1:6379 -d /srv/mirror -j 4 --credentials logins.json
  reget status --redis redis://127.0.0.1:6379 [--json]
  reget dashboard --redis redis://127.0.0.1:6379 --port 3000
`;
