import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, realpath, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { BindingInvokeError, BindingRequestError } from '../../errors/bindings.errors';
import type { InvokeRequest, InvokeResponse, OutputBindingDriver } from '../../spi/bindings.spi';
import type { ComponentMetadata } from '../../spi/component.spi';
import { decodeMetadata } from '../../spi/kit/metadata';
import { LOCALSTORAGE_BINDING_METADATA } from './localstorage.metadata';

const OPERATIONS = ['create', 'get', 'list', 'delete'] as const;
const JSON_CT = 'application/json';

/**
 * `bindings.localstorage`: files under `rootPath`. Request metadata `fileName`
 * (create defaults to a UUID). Like Dapr, a string payload is unquoted and,
 * when it is valid standard base64, decoded — that is how binary files are
 * uploaded ("encode it as Base64"); raw bytes (a Buffer) are written as they
 * are, and `decodeBase64: "false"` turns detection off. Unlike Dapr (which
 * clamps `..` with securejoin), a name that would leave `rootPath` — by `..`,
 * an absolute path or a symlink — is refused.
 */
export class LocalStorageBinding implements OutputBindingDriver {
  private name = '';
  private root = '';

  async init(md: ComponentMetadata): Promise<void> {
    this.name = md.name;
    const { rootPath } = decodeMetadata(LOCALSTORAGE_BINDING_METADATA, md);
    await mkdir(resolve(rootPath), { recursive: true });
    this.root = await realpath(resolve(rootPath));
  }

  features(): readonly string[] {
    return [];
  }

  operations(): readonly string[] {
    return OPERATIONS;
  }

  async invoke(req: InvokeRequest): Promise<InvokeResponse> {
    switch (req.operation.toLowerCase()) {
      case 'create':
        return this.create(req);
      case 'get':
        return this.get(req);
      case 'list':
        return this.list(req);
      case 'delete':
        return this.delete(req);
      default:
        throw new BindingRequestError(this.name, req.operation, `unsupported operation; supported: ${OPERATIONS.join(', ')}`);
    }
  }

  private async create(req: InvokeRequest): Promise<InvokeResponse> {
    const fileName = req.metadata.fileName || randomUUID();
    const path = await this.safePath(req.operation, fileName);
    let data: Buffer = Buffer.from(req.data ?? new Uint8Array(0));
    const unquoted = unquoteJsonString(data);
    if (unquoted !== undefined) {
      data = unquoted;
      const text = data.toString('utf8');
      if (req.metadata.decodeBase64 !== 'false' && isStdBase64(text)) data = Buffer.from(text, 'base64');
    }
    await mkdir(dirname(path), { recursive: true });
    await this.assertInsideRoot(req.operation, dirname(path));
    await writeFile(path, data);
    const rel = relative(this.root, path);
    return { data: Buffer.from(JSON.stringify({ fileName: rel })), metadata: { fileName: rel }, contentType: JSON_CT };
  }

  private async get(req: InvokeRequest): Promise<InvokeResponse> {
    const path = await this.safePath(req.operation, this.requiredFileName(req));
    await this.assertInsideRoot(req.operation, path);
    try {
      return { data: await readFile(path), metadata: { fileName: relative(this.root, path) } };
    } catch (err) {
      throw this.fsError(req.operation, err);
    }
  }

  private async list(req: InvokeRequest): Promise<InvokeResponse> {
    const base = req.metadata.fileName ? await this.safePath(req.operation, req.metadata.fileName) : this.root;
    const files: string[] = [];
    try {
      if ((await stat(base)).isDirectory()) await walk(base, files);
      else files.push(base);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw this.fsError(req.operation, err);
    }
    files.sort();
    return { data: Buffer.from(JSON.stringify(files)), contentType: JSON_CT };
  }

  private async delete(req: InvokeRequest): Promise<InvokeResponse> {
    const path = await this.safePath(req.operation, this.requiredFileName(req));
    if (path === this.root) throw new BindingRequestError(this.name, req.operation, 'refusing to delete rootPath itself');
    await this.assertInsideRoot(req.operation, path);
    try {
      await rm(path);
    } catch (err) {
      throw this.fsError(req.operation, err);
    }
    return {};
  }

  private requiredFileName(req: InvokeRequest): string {
    const f = req.metadata.fileName;
    if (!f) throw new BindingRequestError(this.name, req.operation, 'required metadata "fileName" is missing');
    return f;
  }

  /** Resolves `fileName` under the root, refusing anything that lexically leaves it. */
  private async safePath(operation: string, fileName: string): Promise<string> {
    if (fileName.includes('\0')) throw new BindingRequestError(this.name, operation, 'fileName contains a NUL byte');
    if (isAbsolute(fileName)) {
      throw new BindingRequestError(this.name, operation, `fileName "${fileName}" must be relative to rootPath`);
    }
    const path = resolve(this.root, fileName);
    if (path !== this.root && !path.startsWith(this.root + sep)) {
      throw new BindingRequestError(this.name, operation, `fileName "${fileName}" escapes rootPath`);
    }
    return path;
  }

  /** Follows symlinks of the existing part of `path`: a link pointing out of the root is refused too. */
  private async assertInsideRoot(operation: string, path: string): Promise<void> {
    let existing = path;
    for (;;) {
      try {
        const real = await realpath(existing);
        if (real !== this.root && !real.startsWith(this.root + sep)) {
          throw new BindingRequestError(this.name, operation, `path "${relative(this.root, path)}" resolves outside rootPath`);
        }
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        const parent = dirname(existing);
        if (parent === existing) return;
        existing = parent;
      }
    }
  }

  private fsError(operation: string, err: unknown): Error {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') return new BindingInvokeError(this.name, operation, 'file not found', {}, { cause: err });
    // Never echo absolute host paths back to the caller.
    return new BindingInvokeError(this.name, operation, e.code ?? 'file system error', {}, { cause: err });
  }
}

function unquoteJsonString(data: Buffer): Buffer | undefined {
  if (data.length < 2 || data[0] !== 0x22 || data[data.length - 1] !== 0x22) return undefined;
  try {
    const v: unknown = JSON.parse(data.toString('utf8'));
    return typeof v === 'string' ? Buffer.from(v, 'utf8') : undefined;
  } catch {
    return undefined;
  }
}

/** Go's base64.StdEncoding.DecodeString acceptance: padded standard alphabet, length a multiple of 4. */
function isStdBase64(s: string): boolean {
  return s.length > 0 && s.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(s);
}

async function walk(dir: string, out: string[]): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) await walk(p, out);
    else if (entry.isFile()) out.push(p);
  }
}
