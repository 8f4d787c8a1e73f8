//! The file generators as the web app calls them: the files of a plan, one file, the zip and the
//! diagram, from the plan alone (re-resolved here, so the caller needs no `render` code).
//!
//! In the browser these run in a second wasm module, `tunnelsmith-render` (src/bin), that the
//! page loads only when a file is first needed (Review, Files, the preview): the first page load
//! fetches the wizard and the checks, not the renderers. The two modules share no memory; the
//! plan crosses as its share-link body ([`crate::share::body`]), the frozen v1 encoding.

use crate::bundle::{self, PLAN_FILE};
use crate::check::resolve;
use crate::plan::Plan;
use crate::render::{render, render_path, Artifact, RenderOptions};
use crate::secrets::Secrets;

/// What the web app checks on loading the generators: a page and a generators module from two
/// different builds (a cached old file) must not be mixed.
pub const ABI: &str = concat!(env!("CARGO_PKG_VERSION"), "+generators.2");

/// The plan file as exported and zipped.
fn plan_file(plan: &Plan) -> Artifact {
    Artifact { path: PLAN_FILE.into(), media_type: "application/json", text: plan.to_json_pretty(), executable: false }
}

/// The parts of a plan that decide which files it has: the plan without its address spaces,
/// subnets and description (they change what files say, never their names). The web preview
/// recomputes its list of files only when this changes.
pub fn naming(plan: &Plan) -> Plan {
    let mut p = plan.clone();
    p.description.clear();
    for s in &mut p.sites {
        s.address_spaces.clear();
        s.subnets.clear();
    }
    p
}

/// Every file of the plan in bundle order (runbook first), the plan file last.
pub fn files(plan: &Plan) -> Vec<Artifact> {
    let arts = render(&resolve(plan), &RenderOptions::default());
    let mut v: Vec<Artifact> = bundle::order(&arts).into_iter().cloned().collect();
    v.push(plan_file(plan));
    v
}

/// The file at `path`, rendering only what it needs ([`render_path`]); equal to that file in
/// [`files`].
pub fn file(plan: &Plan, path: &str) -> Option<Artifact> {
    if path == PLAN_FILE {
        return Some(plan_file(plan));
    }
    render_path(&resolve(plan), &RenderOptions::default(), path)
}

/// The download bundle; `secrets_env` (a `secrets.env` text) goes in only when given.
pub fn zip(plan: &Plan, secrets_env: Option<&str>) -> Result<Vec<u8>, String> {
    let secrets = secrets_env.map(Secrets::from_env).transpose()?;
    let arts = render(&resolve(plan), &RenderOptions::default());
    Ok(bundle::zip(&arts, plan, secrets.as_ref()))
}

/// Read a plan file (with line, column and field path in the error) into the body the web
/// app takes ([`crate::share::from_body`]).
pub fn import(text: &str) -> Result<Vec<u8>, String> {
    Plan::from_json(text).map(|p| crate::share::body(&p)).map_err(|e| e.to_string())
}

/// The topology diagram (SVG).
pub fn diagram(plan: &Plan) -> String {
    crate::render::diagram::svg(&resolve(plan))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presets::PRESETS;

    #[test]
    fn one_file_equals_that_file_of_the_whole_bundle() {
        for p in PRESETS {
            let plan = p.plan();
            let all = files(&plan);
            assert!(all.len() > 5, "{}", p.id);
            assert_eq!(all.last().map(|a| a.path.as_str()), Some(PLAN_FILE));
            for a in &all {
                assert_eq!(file(&plan, &a.path).as_ref(), Some(a), "{} {}", p.id, a.path);
            }
            assert_eq!(file(&plan, "no/such/file"), None);
        }
    }

    #[test]
    fn addresses_subnets_and_description_change_no_file_name() {
        let paths = |p: &Plan| files(p).into_iter().map(|a| a.path).collect::<Vec<_>>();
        for p in PRESETS {
            let plan = p.plan();
            let mut other = plan.clone();
            other.description = "another description".into();
            for (k, s) in other.sites.iter_mut().enumerate() {
                s.address_spaces = vec![format!("10.{}.0.0/16", 200 + k)];
                s.subnets.truncate(1);
            }
            assert_eq!(naming(&other), naming(&plan), "{}", p.id);
            assert_eq!(paths(&other), paths(&plan), "{}", p.id);
            // A site name is part of it.
            let mut renamed = plan.clone();
            renamed.sites[0].name.push('x');
            assert_ne!(naming(&renamed), naming(&plan), "{}", p.id);
        }
    }

    #[test]
    fn the_plan_crosses_between_modules_unchanged() {
        for p in PRESETS {
            let plan = p.plan();
            let back = crate::share::from_body(&crate::share::body(&plan)).expect("body decodes").plan;
            assert_eq!(back, plan, "{}", p.id);
            assert_eq!(files(&back), files(&plan), "{}", p.id);
        }
    }

    #[test]
    fn import_gives_the_plan_or_says_where_the_file_is_wrong() {
        let p = &PRESETS[4];
        let body = import(p.json).expect("a preset imports");
        assert_eq!(crate::share::from_body(&body).unwrap().plan, p.plan());
        let bad = p.json.replacen("\"region\"", "\"regoin\"", 1);
        let e = import(&bad).unwrap_err();
        assert!(e.contains("regoin") && e.contains("line"), "{e}");
    }

    #[test]
    fn zip_takes_keys_only_when_given_and_rejects_a_bad_secrets_file() {
        let plan = PRESETS[0].plan();
        let without = zip(&plan, None).unwrap();
        assert_eq!(without, bundle::zip(&render(&resolve(&plan), &RenderOptions::default()), &plan, None));
        assert!(zip(&plan, Some("this is not an env file")).is_err());
    }
}
