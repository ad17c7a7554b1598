/**
 * file-type (~41 KB bundled), loaded only when a file is checked (lib/adapters/files/sniff.ts):
 * the functions that post messages pay for it at their first file, not at every cold start.
 */
export { fileTypeFromBuffer } from 'file-type';
