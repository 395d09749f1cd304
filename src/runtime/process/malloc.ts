/**
 * glibc's malloc gives the top of its heap back to the kernel (brk) whenever
 * more than `trim_threshold` (128 KiB by default) lies free there. A proxy's
 * 64 KiB read buffers are freed in bursts by V8's garbage collector, so the
 * heap top shrinks and grows again and again: thousands of brk calls and
 * ~100k page faults a second, and a process that falls into that pattern
 * (it depends on the heap's layout, so it is decided early and kept for
 * life) moves half the data it otherwise would (measured on tcp 64 KiB
 * transfers: 45 µs of CPU per transfer without trims, 70-95 µs with).
 *
 * glibc raises its thresholds by itself once a block it had mmap()ed is
 * freed (mmap_threshold = that size, trim_threshold = twice it; mallopt(3),
 * "dynamic mmap threshold"). Node cannot call mallopt() nor set
 * GLIBC_TUNABLES for its own process, so the serving process does what
 * triggers that rule: it allocates one 8 MiB buffer (above the 128 KiB mmap
 * threshold, so glibc maps it) and frees it at once with a full collection.
 * Afterwards trim_threshold is 16 MiB. Other C libraries ignore this.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const SIZE = 32 * 1024 * 1024 - 8192;

let done = false;

export function raiseMallocTrimThreshold(): void {
  if (done || process.platform !== 'linux') return;
  done = true;
  // a user who set the tunables knows better
  if (process.env.GLIBC_TUNABLES?.includes('trim_threshold')) return;
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as (() => void) | undefined;
    setFlagsFromString('--no-expose-gc');
    if (typeof gc !== 'function') return;
    let b: Buffer | null = Buffer.allocUnsafeSlow(SIZE);
    b[0] = 1; // touched, so it is really allocated
    b = null;
    gc();
  } catch {
    /* best effort */
  }
}
