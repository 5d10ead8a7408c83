import { connect, type Socket } from 'node:net';

/** Size of each receive slab; reads fill consecutive slices of it. */
const slabBytes = 512 * 1024;
/** A read gets a fresh slab when less than this is left in the current one. */
const minReadBytes = 64 * 1024;

/**
 * Opens the TCP connection for ssh2 (its `sock` option) with Nagle off, reading into consecutive
 * slices of 512 KiB slabs and emitting each slice as a 'data' event, as ssh2 expects.
 *
 * Why: by default Node allocates a fresh 64 KiB buffer for every read, ~16 000 per GiB, and ssh2
 * copies every SSH packet that straddles two reads. Slabs mean fewer allocations for the garbage
 * collector, fewer reads (~14 500 instead of ~25 500) and fewer straddling packets: measured on
 * 1 GiB over loopback from OpenSSH's sshd, the process uses 7–12 % less CPU. A slice is handed
 * out once and never written again, so the views ssh2 keeps (handles, decrypted packets) stay
 * valid, exactly as with Node's fresh buffers.
 *
 * Nagle off: ssh2 leaves it on, and small READ requests then wait for delayed ACKs (measured ~9×
 * slower).
 */
export function connectSocket(host: string, port: number): Socket {
  let slab = Buffer.allocUnsafe(slabBytes);
  let used = 0;
  let current = slab;
  const socket = connect({
    host,
    port,
    noDelay: true,
    onread: {
      buffer: () => {
        if (slab.length - used < minReadBytes) {
          slab = Buffer.allocUnsafe(slabBytes);
          used = 0;
        }
        current = slab.subarray(used);
        return current;
      },
      callback: (count: number) => {
        // Node reads into the slice `buffer` returned last, then asks for the next one.
        used += count;
        socket.emit('data', current.subarray(0, count));
        return true;
      },
    },
  });
  return socket;
}
