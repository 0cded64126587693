//! Just enough of ELF to find a section: where `.rodata` lies in a shared
//! library, so that libcrypto's version string (and the Speech SDK's
//! embedded `libssl.so.N` name) is looked for in a few hundred kilobytes
//! instead of the whole file (megabytes, read on every `netdoctor env`),
//! and the `DT_NEEDED` entries of `.dynamic` (the libraries the loader
//! loads with it).
//!
//! Every size read from the file is checked against a limit before it is
//! used: a truncated or hostile file gives `None`, never a panic or a
//! large allocation.

use std::io::{Read, Seek, SeekFrom};

/// Section headers a library may have (real ones have under 50).
const MAX_SECTIONS: u64 = 4096;

/// The section-name table's size limit.
const MAX_NAMES: u64 = 1 << 20;

/// Where a section's bytes lie in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Section {
    pub offset: u64,
    pub size: u64,
}

/// The layout of one ELF class and byte order.
#[derive(Clone, Copy)]
struct Layout {
    wide: bool,
    little: bool,
}

impl Layout {
    fn uint(self, bytes: &[u8], at: usize, width: usize) -> Option<u64> {
        let field = bytes.get(at..at + width)?;
        let mut v: u64 = 0;
        for i in 0..width {
            let b = if self.little {
                field[width - 1 - i]
            } else {
                field[i]
            };
            v = (v << 8) | u64::from(b);
        }
        Some(v)
    }

    /// The word-sized field at `at64` (64-bit files) or `at32`.
    fn word(self, bytes: &[u8], at64: usize, at32: usize) -> Option<u64> {
        if self.wide {
            self.uint(bytes, at64, 8)
        } else {
            self.uint(bytes, at32, 4)
        }
    }

    fn half(self, bytes: &[u8], at64: usize, at32: usize) -> Option<u64> {
        self.uint(bytes, if self.wide { at64 } else { at32 }, 2)
    }
}

/// Reads `len` bytes at `offset`: one read into a buffer of that size, and
/// only when the file is that long (a size read from a truncated or
/// hostile file allocates nothing).
fn read_at(file: &mut (impl Read + Seek), offset: u64, len: u64) -> Option<Vec<u8>> {
    let file_len = file.seek(SeekFrom::End(0)).ok()?;
    if offset.checked_add(len)? > file_len {
        return None;
    }
    file.seek(SeekFrom::Start(offset)).ok()?;
    let mut buf = Vec::with_capacity(usize::try_from(len).ok()?);
    file.take(len).read_to_end(&mut buf).ok()?;
    (buf.len() as u64 == len).then_some(buf)
}

/// The section named `name`, from the file's section headers.
pub fn section(file: &mut (impl Read + Seek), name: &str) -> Option<Section> {
    let head = read_at(file, 0, 64)?;
    if head.get(..4)? != b"\x7fELF" {
        return None;
    }
    let layout = Layout {
        wide: *head.get(4)? == 2,
        little: *head.get(5)? == 1,
    };
    let table = layout.word(&head, 0x28, 0x20)?;
    let entry = layout.half(&head, 0x3A, 0x2E)?;
    let count = layout.half(&head, 0x3C, 0x30)?;
    let names_index = layout.half(&head, 0x3E, 0x32)?;
    let needed = if layout.wide { 0x28 } else { 0x18 };
    if count == 0 || count > MAX_SECTIONS || entry < needed || entry > 256 || names_index >= count {
        return None;
    }
    let headers = read_at(file, table, entry * count)?;
    let header = |i: u64| -> Option<(u64, Section)> {
        let at = usize::try_from(i * entry).ok()?;
        let h = headers.get(at..at + usize::try_from(entry).ok()?)?;
        let name = layout.uint(h, 0, 4)?;
        let offset = layout.word(h, 0x18, 0x10)?;
        let size = layout.word(h, 0x20, 0x14)?;
        Some((name, Section { offset, size }))
    };
    let (_, names) = header(names_index)?;
    if names.size > MAX_NAMES {
        return None;
    }
    let names = read_at(file, names.offset, names.size)?;
    (0..count).find_map(|i| {
        let (at, section) = header(i)?;
        let rest = names.get(usize::try_from(at).ok()?..)?;
        let end = rest.iter().position(|b| *b == 0)?;
        (&rest[..end] == name.as_bytes()).then_some(section)
    })
}

/// The bytes of section `name` of the file at `path`, at most `limit`.
pub fn section_bytes(path: &std::path::Path, name: &str, limit: u64) -> Option<Vec<u8>> {
    let mut file = std::fs::File::open(path).ok()?;
    let s = section(&mut file, name)?;
    if s.size > limit {
        return None;
    }
    read_at(&mut file, s.offset, s.size)
}

/// The limit on `.dynamic` and `.dynstr` (real ones are tens of kilobytes).
const MAX_DYNAMIC: u64 = 4 << 20;

/// `DT_NEEDED`: a `.dynamic` entry naming a library by its `.dynstr` offset.
const DT_NEEDED: u64 = 1;

/// The `DT_NEEDED` names of the library at `path` (`libc.so.6`, …), from
/// its `.dynamic` and `.dynstr` sections; `None` when it is not an ELF file
/// with both.
pub fn needed(path: &std::path::Path) -> Option<Vec<String>> {
    let mut file = std::fs::File::open(path).ok()?;
    let head = read_at(&mut file, 0, 6)?;
    let layout = Layout {
        wide: *head.get(4)? == 2,
        little: *head.get(5)? == 1,
    };
    let dynamic = section(&mut file, ".dynamic")?;
    let strings = section(&mut file, ".dynstr")?;
    if dynamic.size > MAX_DYNAMIC || strings.size > MAX_DYNAMIC {
        return None;
    }
    let dynamic = read_at(&mut file, dynamic.offset, dynamic.size)?;
    let strings = read_at(&mut file, strings.offset, strings.size)?;
    let width = if layout.wide { 8 } else { 4 };
    let mut names = Vec::new();
    for entry in dynamic.chunks_exact(2 * width) {
        let tag = layout.uint(entry, 0, width)?;
        if tag == 0 {
            break;
        }
        if tag != DT_NEEDED {
            continue;
        }
        let at = usize::try_from(layout.uint(entry, width, width)?).ok()?;
        let rest = strings.get(at..)?;
        let end = rest.iter().position(|b| *b == 0)?;
        names.push(String::from_utf8_lossy(&rest[..end]).into_owned());
    }
    Some(names)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    /// This test binary is an ELF file with a `.rodata` section.
    #[test]
    fn finds_rodata_in_an_elf_file() {
        let exe = std::env::current_exe().unwrap();
        let mut f = std::fs::File::open(&exe).unwrap();
        let s = section(&mut f, ".rodata").expect("a .rodata section");
        assert!(s.size > 0);
        assert!(section(&mut f, ".no-such-section").is_none());
    }

    /// This test binary needs libc (it is dynamically linked on glibc).
    #[test]
    fn reads_dt_needed_of_an_elf_file() {
        let exe = std::env::current_exe().unwrap();
        if let Some(needed) = needed(&exe) {
            assert!(needed.iter().all(|n| n.contains(".so")), "{needed:?}");
        }
        let dir = tempfile::tempdir().unwrap();
        let fake = dir.path().join("fake.so");
        std::fs::write(&fake, b"\x7fELF\0libssl.so.1.1\0").unwrap();
        assert!(needed(&fake).is_none());
    }

    #[test]
    fn garbage_and_truncated_files_are_none() {
        assert!(section(&mut Cursor::new(Vec::<u8>::new()), ".rodata").is_none());
        assert!(section(&mut Cursor::new(b"\x7fELF\x02\x01".to_vec()), ".rodata").is_none());
        let exe = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        for cut in [16, 64, 1000] {
            let mut c = Cursor::new(exe[..cut].to_vec());
            assert!(section(&mut c, ".rodata").is_none(), "cut at {cut}");
        }
        let mut huge = exe[..64].to_vec();
        huge[0x3C] = 0xff;
        huge[0x3D] = 0xff;
        assert!(section(&mut Cursor::new(huge), ".rodata").is_none());
    }
}
