/**
 * Artifact paths come from the source store, which may be hostile: only plain relative POSIX
 * paths below the run's root are ever written.
 */
export function unsafePathReason(path: string): string | undefined {
  if (path === '') return 'empty path';
  if (path.includes('\0')) return 'path contains a NUL byte';
  if (path.includes('\\')) return 'path contains a backslash';
  if (path.startsWith('/')) return 'absolute path';
  if (/^[A-Za-z]:/.test(path)) return 'path starts with a drive letter';
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') return `path has a "${segment}" segment`;
  }
  return undefined;
}
