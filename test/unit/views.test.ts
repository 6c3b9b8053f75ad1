import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { VIEWS_DIR } from '../../src/paths';

// The app's engine renders with `root: VIEWS_DIR`: an include written from the root ('/partials/head')
// is resolved without a filesystem lookup; a relative one costs an existsSync on every render.
describe('app views', () => {
  const views = readdirSync(VIEWS_DIR).filter((f) => f.endsWith('.ejs'));

  const includes = views.flatMap((file) =>
    [...readFileSync(path.join(VIEWS_DIR, file), 'utf8').matchAll(/include\(\s*'([^']+)'/g)].map(
      ([, target]) => ({ file, target }),
    ),
  );

  it('include their partials from the views root', () => {
    expect(includes.map((i) => i.file)).toEqual(expect.arrayContaining(['loading.ejs', 'error.ejs']));
    expect(includes.filter((i) => !i.target!.startsWith('/'))).toEqual([]);
  });
});
