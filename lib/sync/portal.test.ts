import { describe, expect, it } from 'vitest';
import { listedFiles, shownUrl } from './portal';

describe('the portal listing', () => {
  it('gives each linked extract once, in order, whatever the link looks like; other links are ignored', () => {
    const html = `<table id="row"><tr><td>2025-10-12</td><td>
      <a href="files/KboOpenData_0147_2025_10_12_Update.zip">update</a>
      <a href='files/KboOpenData_0147_2025_10_12_Full.zip?x=1&amp;y=2'>full</a></td></tr>
      <tr><td>2025-10-11</td><td><a HREF = "https://kbopub.economie.fgov.be/kbo-open-data/affiliation/xml/files/KboOpenData_0146_2025_10_11_Update.zip">u</a>
      <a href="files/KboOpenData_0147_2025_10_12_Update.zip">again</a>
      <a href="../index">home</a><a href="files/readme.pdf">pdf</a><a href="files/KboOpenData_146_2025_10_11_Update.zip">bad</a></td></tr></table>`;
    expect(listedFiles(html).map((f) => `${f.number} ${f.type} ${f.date}`)).toEqual(['147 update 2025-10-12', '147 full 2025-10-12', '146 update 2025-10-11']);
    expect(listedFiles('<p>Ingelogd als x</p>')).toEqual([]);
  });
});

describe('the portal URL as shown', () => {
  it('never carries a user or password written into it', () => {
    expect(shownUrl('https://me:secret@kbopub.economie.fgov.be/kbo-open-data')).toBe('https://kbopub.economie.fgov.be/kbo-open-data');
    expect(shownUrl('http://127.0.0.1:8080/kbo-open-data/')).toBe('http://127.0.0.1:8080/kbo-open-data');
    expect(shownUrl('not a url')).toBe('(an invalid URL)');
  });
});
