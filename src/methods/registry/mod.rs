//! Methods by name: what `curvlab list` prints, what `curvlab run --method` and study files
//! build. The string layer (names, [`ParamInfo`] tables, builders from [`Params`]) lives here,
//! apart from the algorithms: `first_order`, `second_order` and `curvature_aware` each append their
//! [`MethodEntry`]s in `register`.

mod curvature_aware;
mod first_order;
mod first_order_keys;
mod first_order_params;
mod second_order;

use super::Method;
use crate::error::{Error, Result};
use crate::params::{ParamInfo, Params};

/// A method's name, summary and parameters.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct MethodInfo {
    /// Registry name (`kind` in study files, `--method` on the command line).
    pub name: &'static str,
    /// One line: what it is and whose it is.
    pub summary: &'static str,
    /// Its parameters with defaults.
    pub params: &'static [ParamInfo],
}

/// What a method may know about the problem when it is built from parameters.
#[derive(Debug, Clone, Default)]
pub struct MethodContext {
    /// The Hessian's eigenvalues (ascending), when the problem knows them: `lr = "optimal"`
    /// uses them.
    pub eigenvalues: Option<Vec<f64>>,
    /// The run's seed (minibatch samplers, random probes).
    pub seed: u64,
    /// The number of examples of a finite-sum objective, `None` otherwise.
    pub num_examples: Option<usize>,
}

/// Builds a method from parameters.
pub type MethodBuilder = fn(&Params, &MethodContext) -> Result<Box<dyn Method>>;

/// One registry entry.
#[derive(Clone, Copy)]
pub struct MethodEntry {
    /// Its documentation.
    pub info: MethodInfo,
    /// Its builder.
    pub build: MethodBuilder,
}

fn entries() -> Vec<MethodEntry> {
    let mut v = Vec::new();
    first_order::register(&mut v);
    second_order::register(&mut v);
    curvature_aware::register(&mut v);
    v
}

/// Every method's documentation, in `curvlab list` order.
///
/// ```
/// let infos = curvlab::methods::method_infos();
/// assert!(infos.iter().all(|m| !m.name.is_empty()));
/// ```
pub fn method_infos() -> Vec<MethodInfo> {
    entries().iter().map(|e| e.info).collect()
}

/// Builds the method `kind` from `params` (unknown keys are an error).
///
/// ```
/// use curvlab::params::Params;
/// use curvlab::methods::{build_method, MethodContext};
/// assert!(build_method("no-such-method", &Params::new(), &MethodContext::default()).is_err());
/// ```
pub fn build_method(kind: &str, params: &Params, ctx: &MethodContext) -> Result<Box<dyn Method>> {
    let all = entries();
    let e = all.iter().find(|e| e.info.name == kind).ok_or_else(|| {
        let names: Vec<_> = all.iter().map(|e| e.info.name).collect();
        Error::Unknown(format!(
            "unknown method `{kind}` (known: {})",
            names.join(", ")
        ))
    })?;
    let m = (e.build)(params, ctx)?;
    params.finish(&format!("method `{kind}`"))?;
    Ok(m)
}
