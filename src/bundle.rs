//! The download bundle: every artifact, the plan and (only when asked) the secrets, as one zip.
//!
//! Deterministic: the same files give the same bytes (fixed timestamps, fixed order, fixed
//! compression), so a bundle can be compared with the golden files and between two browsers.
//! Scripts keep their executable bit (Unix mode 0755 in the zip's external attributes), the
//! secrets file is private (0600), everything else 0644. The runbook comes first, so the first
//! file a person sees when they open the archive is the one that says what to do.

use crate::plan::Plan;
use crate::render::Artifact;
use crate::secrets::Secrets;

/// The plan's file name in a bundle and on export.
pub const PLAN_FILE: &str = "tunnelsmith-plan.json";
/// The secrets' file name, beside the plan (never inside it).
pub const SECRETS_FILE: &str = "secrets.env";

/// One file of a bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    /// `/`-separated, relative to the bundle's folder.
    pub path: String,
    pub text: String,
    /// Unix mode: 0o755, 0o644 or 0o600.
    pub mode: u32,
}

/// Where a file sorts in a bundle: runbooks, then the other top-level documents, then the rest.
fn rank(path: &str) -> u8 {
    let top = !path.contains('/');
    let lower = path.to_ascii_lowercase();
    match () {
        _ if top && lower.starts_with("runbook") => 0,
        _ if top && (lower.ends_with(".md") || lower.ends_with(".txt")) => 1,
        _ => 2,
    }
}

/// The artifacts in bundle order: the runbook first, other top-level documents next, then every
/// other file by path.
///
/// ```
/// use tunnelsmith::render::Artifact;
/// let a = |p: &str| Artifact { path: p.into(), media_type: "text/plain", text: String::new(), executable: false };
/// let arts = [a("aws/aws.sh"), a("deploy.sh"), a("run-order.md"), a("runbook.md")];
/// let order: Vec<&str> = tunnelsmith::bundle::order(&arts).iter().map(|a| a.path.as_str()).collect();
/// assert_eq!(order, ["runbook.md", "run-order.md", "aws/aws.sh", "deploy.sh"]);
/// ```
pub fn order(artifacts: &[Artifact]) -> Vec<&Artifact> {
    let mut v: Vec<&Artifact> = artifacts.iter().collect();
    v.sort_by(|a, b| (rank(&a.path), &a.path).cmp(&(rank(&b.path), &b.path)));
    v
}

/// The files of a bundle: the artifacts in [`order`], the plan, and the secrets when given.
pub fn files(artifacts: &[Artifact], plan: &Plan, secrets: Option<&Secrets>) -> Vec<File> {
    let mut out: Vec<File> = order(artifacts)
        .into_iter()
        .map(|a| File { path: a.path.clone(), text: a.text.clone(), mode: if a.executable { 0o755 } else { 0o644 } })
        .collect();
    out.push(File { path: PLAN_FILE.into(), text: plan.to_json_pretty(), mode: 0o644 });
    if let Some(s) = secrets {
        out.push(File { path: SECRETS_FILE.into(), text: s.to_env(), mode: 0o600 });
        out.extend(host_secrets(plan, s));
    }
    out
}

/// Each appliance host's own secrets file (mode 0600): only the keys of its tunnels, beside its
/// install script ([`crate::render::appliance::secrets_files`]).
pub fn host_secrets(plan: &Plan, secrets: &Secrets) -> Vec<File> {
    crate::render::appliance::secrets_files(&crate::check::resolve(plan))
        .into_iter()
        .map(|(path, names)| File { path, text: secrets.subset(&names).to_env(), mode: 0o600 })
        .collect()
}

/// The folder a bundle unpacks into: the plan name when it is a safe one, else `tunnelsmith`.
pub fn folder(plan: &Plan) -> String {
    let ok = !plan.name.is_empty()
        && plan.name.len() <= 63
        && plan.name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !plan.name.starts_with('-');
    if ok {
        plan.name.clone()
    } else {
        "tunnelsmith".into()
    }
}

/// The whole bundle as zip bytes: every file under `<folder>/`.
///
/// ```
/// use tunnelsmith::{bundle, presets::PRESETS, render::{render, RenderOptions}};
/// let plan = PRESETS[0].plan();
/// let arts = render(&tunnelsmith::check::resolve(&plan), &RenderOptions::default());
/// let a = bundle::zip(&arts, &plan, None);
/// assert_eq!(a, bundle::zip(&arts, &plan, None));
/// assert_eq!(&a[..4], b"PK\x03\x04");
/// ```
pub fn zip(artifacts: &[Artifact], plan: &Plan, secrets: Option<&Secrets>) -> Vec<u8> {
    let root = folder(plan);
    let files = files(artifacts, plan, secrets);
    let entries: Vec<(String, &[u8], u32)> =
        files.iter().map(|f| (format!("{root}/{}", f.path), f.text.as_bytes(), f.mode)).collect();
    write_zip(&entries)
}

// ---------------------------------------------------------------------------------------------
// A minimal, deterministic zip writer (PKWARE APPNOTE 6.3: stored or deflated entries, UTF-8
// names, Unix modes, no extra fields, no zip64: bundles are kilobytes).

/// 1980-01-01 00:00:00, the earliest DOS date: every entry carries it.
const DOS_TIME: u16 = 0;
const DOS_DATE: u16 = (1 << 5) | 1;
/// Bit 11: names are UTF-8.
const FLAGS: u16 = 1 << 11;
/// Made by Unix (3), spec 2.0, so readers honour the mode in the external attributes.
const MADE_BY: u16 = (3 << 8) | 20;
const NEEDED: u16 = 20;

fn write_zip(entries: &[(String, &[u8], u32)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data, mode) in entries {
        let crc = crc32(data);
        let deflated = miniz_oxide::deflate::compress_to_vec(data, 9);
        let (method, body): (u16, &[u8]) = if deflated.len() < data.len() { (8, &deflated) } else { (0, data) };
        let offset = out.len() as u32;
        let name = name.as_bytes();

        put32(&mut out, 0x0403_4b50);
        put16(&mut out, NEEDED);
        put16(&mut out, FLAGS);
        put16(&mut out, method);
        put16(&mut out, DOS_TIME);
        put16(&mut out, DOS_DATE);
        put32(&mut out, crc);
        put32(&mut out, body.len() as u32);
        put32(&mut out, data.len() as u32);
        put16(&mut out, name.len() as u16);
        put16(&mut out, 0);
        out.extend_from_slice(name);
        out.extend_from_slice(body);

        put32(&mut central, 0x0201_4b50);
        put16(&mut central, MADE_BY);
        put16(&mut central, NEEDED);
        put16(&mut central, FLAGS);
        put16(&mut central, method);
        put16(&mut central, DOS_TIME);
        put16(&mut central, DOS_DATE);
        put32(&mut central, crc);
        put32(&mut central, body.len() as u32);
        put32(&mut central, data.len() as u32);
        put16(&mut central, name.len() as u16);
        put16(&mut central, 0); // extra
        put16(&mut central, 0); // comment
        put16(&mut central, 0); // disk
        put16(&mut central, 0); // internal attributes
        put32(&mut central, (0o100_000 | mode) << 16); // regular file + mode
        put32(&mut central, offset);
        central.extend_from_slice(name);
    }
    let cd_offset = out.len() as u32;
    out.extend_from_slice(&central);
    put32(&mut out, 0x0605_4b50);
    put16(&mut out, 0);
    put16(&mut out, 0);
    put16(&mut out, entries.len() as u16);
    put16(&mut out, entries.len() as u16);
    put32(&mut out, central.len() as u32);
    put32(&mut out, cd_offset);
    put16(&mut out, 0);
    out
}

fn put16(v: &mut Vec<u8>, x: u16) {
    v.extend_from_slice(&x.to_le_bytes());
}

fn put32(v: &mut Vec<u8>, x: u32) {
    v.extend_from_slice(&x.to_le_bytes());
}

const CRC_TABLE: [u32; 256] = {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
};

/// CRC-32 (IEEE 802.3), as zip uses.
fn crc32(data: &[u8]) -> u32 {
    !data.iter().fold(!0u32, |c, &b| CRC_TABLE[((c ^ b as u32) & 0xff) as usize] ^ (c >> 8))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::resolve;
    use crate::presets::PRESETS;
    use crate::render::{render, RenderOptions};
    use std::io::Read;

    fn secrets_for(plan: &Plan) -> Secrets {
        let mut n = 1u8;
        Secrets::generate(&resolve(plan), &mut |b: &mut [u8]| {
            for x in b {
                n = n.wrapping_mul(29).wrapping_add(11);
                *x = n;
            }
        })
    }

    #[test]
    fn crc32_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn bundles_read_back_with_an_independent_reader() {
        for p in PRESETS {
            let plan = p.plan();
            let arts = render(&resolve(&plan), &RenderOptions::default());
            let secrets = secrets_for(&plan);
            for with_secrets in [false, true] {
                let bytes = zip(&arts, &plan, with_secrets.then_some(&secrets));
                assert_eq!(bytes, zip(&arts, &plan, with_secrets.then_some(&secrets)), "deterministic");
                let mut z = ::zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
                let expected = files(&arts, &plan, with_secrets.then_some(&secrets));
                assert_eq!(z.len(), expected.len());
                for (k, f) in expected.iter().enumerate() {
                    let mut e = z.by_index(k).unwrap();
                    assert_eq!(e.name(), format!("{}/{}", plan.name, f.path));
                    assert_eq!(e.unix_mode().map(|m| m & 0o777), Some(f.mode), "{}", f.path);
                    let mut text = String::new();
                    e.read_to_string(&mut text).unwrap();
                    assert_eq!(text, f.text, "{}", f.path);
                }
                let names: Vec<String> = z.file_names().map(String::from).collect();
                assert_eq!(names.iter().any(|n| n.ends_with(SECRETS_FILE)), with_secrets);
                assert!(names.iter().any(|n| n.ends_with(PLAN_FILE)));
            }
        }
    }

    #[test]
    fn runbook_first_scripts_executable_plan_last() {
        let plan = PRESETS[4].plan();
        let arts = render(&resolve(&plan), &RenderOptions::default());
        let f = files(&arts, &plan, None);
        assert_eq!((f[0].path.as_str(), f[1].path.as_str()), ("RUNBOOK.md", "runbook.html"));
        assert_eq!(f.last().unwrap().path, PLAN_FILE);
        assert!(f.iter().filter(|x| x.path.ends_with(".sh")).all(|x| x.mode == 0o755));
        assert_eq!(Plan::from_json(&f.last().unwrap().text).unwrap(), plan);
    }

    #[test]
    fn an_unsafe_plan_name_does_not_become_a_folder() {
        let mut plan = PRESETS[0].plan();
        plan.name = "../../etc".into();
        assert_eq!(folder(&plan), "tunnelsmith");
        plan.name = "ok-name".into();
        assert_eq!(folder(&plan), "ok-name");
    }
}
