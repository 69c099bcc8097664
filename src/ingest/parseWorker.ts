/**
 * Worker thread entry (started by parseWorkers.ts through startTsWorker). For each `parse` job it
 * reads one CSV file, hashes it, parses it with csv-parse, validates the rows and turns them into
 * COPY text, and sends that text to the main thread as transferred UTF-8 buffers; the main thread
 * only writes them to the COPY stream. Two files loading at once thus parse on two cores.
 * Quarantined rows go back in batches to the main thread's sink; progress, counts, the hash and any
 * file error are reported as messages. The thread then waits for its next file (starting a thread
 * under tsx costs ~0.2 s of CPU, so it is reused).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parentPort } from 'node:worker_threads';
import { parse, type CsvError } from 'csv-parse';
import { wideEncoding } from './encoding.ts';
import { SourceFileError } from './errors.ts';
import { RecordsToCopy, type RejectedRow } from './recordsToCopy.ts';
import { toFileErrorData, type FromWorker, type ParseCounts, type ParseJob, type ToWorker } from './workerProtocol.ts';

if (!parentPort) throw new Error('parseWorker.ts is a worker thread entry: loadFile starts it');
const port = parentPort;

function send(message: FromWorker, transfer?: ArrayBuffer[]): void {
  port.postMessage(message, transfer);
}

/** The buffer's bytes as an ArrayBuffer that can be transferred (copied only if it is a view into a larger one). */
function ownArrayBuffer(chunk: Buffer): ArrayBuffer {
  const whole = chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength;
  return (whole ? chunk.buffer : chunk.buffer.slice(chunk.byteOffset, chunk.byteOffset + chunk.byteLength)) as ArrayBuffer;
}

/** Posts COPY chunks to the main thread, pausing when it holds `credits` chunks not yet written to PostgreSQL. */
class ChunkSender extends Writable {
  private waiting: (() => void) | undefined;

  constructor(private credits: number) {
    super({ highWaterMark: 0 });
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    const data = ownArrayBuffer(chunk);
    send({ type: 'copy', data }, [data]);
    if (--this.credits > 0) return done();
    this.waiting = done;
  }

  credit(): void {
    this.credits++;
    const resume = this.waiting;
    this.waiting = undefined;
    resume?.();
  }
}

/** The current job's sender (credits of a job all arrive before the next job). */
let sender: ChunkSender | undefined;
/** Reject batches sent and not yet saved by the main thread (one at a time in practice). */
const unsaved: (() => void)[] = [];

/** The file's quarantined rows go to the main thread's sink; the parse waits until a batch is saved. */
const sink = (rows: RejectedRow[]): Promise<void> =>
  new Promise((resolve) => {
    unsaved.push(resolve);
    send({ type: 'rejects', rows });
  });

async function parseFile(job: ParseJob, chunks: ChunkSender): Promise<ParseCounts> {
  await refuseWideEncodings(job);
  const hash = createHash('sha256');
  const input = createReadStream(job.filePath, { highWaterMark: 1024 * 1024 });
  input.on('data', (chunk) => {
    hash.update(chunk as Buffer);
    send({ type: 'progress', bytes: (chunk as Buffer).length });
  });
  const toCopy = new RecordsToCopy(job.spec, job.spec.fileName, sink);
  const parser = parse({
    bom: true,
    // A quote inside an unquoted field is kept as a character; the row then stands or falls on
    // validation (the reviews file has one such record, which fails its date columns).
    relax_quotes: true,
    // Field-count mismatches are checked by us, so the row is quarantined with its line.
    relax_column_count: true,
    skip_records_with_error: true,
    encoding: 'utf8',
  });
  parser.on('skip', (err: CsvError) => {
    const fatal = toCopy.rejectUnparsable(err);
    if (fatal) parser.destroy(fatal);
  });
  await pipeline(input, parser, toCopy, chunks);
  return { rowsRead: toCopy.rowsRead, rowsLoaded: toCopy.rowsLoaded, rowsRejected: toCopy.rowsRejected, sha256: hash.digest('hex') };
}

async function refuseWideEncodings(job: ParseJob): Promise<void> {
  const file = await open(job.filePath, 'r');
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await file.read(head, 0, 4, 0);
    const found = wideEncoding(head.subarray(0, bytesRead));
    if (found) {
      throw new SourceFileError(job.spec.fileName, `wrong encoding: the file is ${found}, not UTF-8 (convert it, e.g. iconv -f ${found.split(' ')[0]} -t UTF-8)`, 1);
    }
  } finally {
    await file.close();
  }
}

port.on('message', (m: ToWorker) => {
  if (m.type === 'credit') sender?.credit();
  else if (m.type === 'rejectsSaved') unsaved.shift()?.();
  else {
    sender = new ChunkSender(m.job.credits);
    parseFile(m.job, sender).then(
      (counts) => send({ type: 'done', ...counts }),
      (err: unknown) => send({ type: 'failed', error: toFileErrorData(err, m.job.spec.fileName) }),
    );
  }
});
