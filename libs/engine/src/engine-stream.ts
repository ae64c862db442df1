import type { Readable } from 'node:stream';

/** One JSON message of the engine's progress streams (pull, push, import, classic build). */
export interface EngineMessage {
  status?: string;
  stream?: string;
  id?: string;
  progress?: string;
  error?: string;
  errorDetail?: { message?: string; code?: number };
  aux?: unknown;
}

/**
 * Reads a newline-delimited JSON stream from the engine, calling `onMessage`
 * for each message; resolves with all messages, rejects on the first error
 * message (the engine reports failures inside a 200 response).
 */
export function readEngineStream(stream: Readable, onMessage: (message: EngineMessage) => void = () => undefined): Promise<EngineMessage[]> {
  return new Promise((resolve, reject) => {
    const messages: EngineMessage[] = [];
    let buffer = '';
    let failed: Error | undefined;
    const handle = (line: string) => {
      if (!line.trim()) return;
      let message: EngineMessage;
      try {
        message = JSON.parse(line) as EngineMessage;
      } catch {
        return;
      }
      messages.push(message);
      if ((message.error || message.errorDetail) && !failed) failed = new Error(message.errorDetail?.message ?? message.error);
      onMessage(message);
    };
    stream.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      lines.forEach(handle);
    });
    stream.on('error', reject);
    stream.on('end', () => {
      handle(buffer);
      if (failed) reject(failed);
      else resolve(messages);
    });
  });
}
