import { Migration, migrationProblems, readMigrations } from '../../scripts/migration-check';

const m = (name: string, sql: string): Migration => ({ name, sql });
const base = m('0001_walks', 'CREATE TABLE walks (id uuid PRIMARY KEY, title text NOT NULL, note text);');

describe('migration check (expand/contract)', () => {
  it('passes the repository migrations', async () => {
    expect(await migrationProblems(readMigrations())).toEqual([]);
  });

  it.each([
    ['DROP TABLE walks;', 'DROP TABLE'],
    ['ALTER TABLE walks DROP COLUMN note;', 'DROP COLUMN walks.note'],
    ['ALTER TABLE walks RENAME COLUMN note TO notes;', 'RENAME COLUMN'],
    ['ALTER TABLE walks RENAME TO trips;', 'RENAME TABLE'],
    ['ALTER TABLE walks ALTER COLUMN note SET NOT NULL;', 'SET NOT NULL on walks.note'],
    ['ALTER TABLE walks ADD COLUMN tag text NOT NULL;', 'ADD COLUMN walks.tag NOT NULL without a default'],
    ['ALTER TABLE walks ALTER COLUMN title TYPE varchar(50);', 'ALTER COLUMN TYPE walks.title'],
  ])('rejects an unmarked %s', async (sql, what) => {
    const problems = await migrationProblems([base, m('0002_change', sql)]);
    expect(problems).toEqual([expect.stringContaining(`0002_change: ${what} breaks the release before it`)]);
  });

  it('accepts additive changes and NOT NULL on a table the same migration creates', async () => {
    const sql = [
      "ALTER TABLE walks ADD COLUMN tag text NOT NULL DEFAULT '';",
      'ALTER TABLE walks ADD COLUMN rating int;',
      'CREATE TABLE tags (id int PRIMARY KEY);',
      'ALTER TABLE tags ADD COLUMN name text NOT NULL;',
      'CREATE INDEX walks_tag ON walks (tag);',
    ].join('\n');
    expect(await migrationProblems([base, m('0002_expand', sql)])).toEqual([]);
  });

  it('accepts a destructive change marked as the contract of an earlier expand, and only then', async () => {
    const expand = m('0002_add_notes', 'ALTER TABLE walks ADD COLUMN notes text;');
    const contract = (of: string) =>
      m('0003_drop_note', `-- contract-of: ${of}\nALTER TABLE walks DROP COLUMN note;`);
    expect(await migrationProblems([base, expand, contract('0002_add_notes')])).toEqual([]);
    expect(await migrationProblems([base, contract('0004_later'), expand])).toEqual([
      '0003_drop_note: "contract-of: 0004_later" must name an earlier migration',
    ]);
  });
});
