//! One instance of a problem or method table of a study: a registry kind and one value per
//! parameter key (what sweep expansion produces and run ids hash).

use crate::params::{Params, Value};
use std::collections::BTreeMap;

/// One instance of a problem or method table: the kind and one value per key.
#[derive(Debug, Clone, PartialEq)]
pub struct Instance {
    /// Registry name.
    pub kind: String,
    /// One value per parameter key.
    pub params: BTreeMap<String, Value>,
    /// Index of the table in the study file (`problems[i]` or `methods[i]`).
    pub table: usize,
}

impl Instance {
    /// The parameters as [`Params`], ready for the registry.
    ///
    /// ```
    /// use curvlab::study::expand::Instance;
    /// use curvlab::params::Value;
    /// let i = Instance { kind: "gd".into(), params: [("lr".to_string(), Value::Num(0.1))].into(), table: 0 };
    /// assert_eq!(i.to_params().f64("lr", 1.0).unwrap(), 0.1);
    /// ```
    pub fn to_params(&self) -> Params {
        let mut p = Params::new();
        for (k, v) in &self.params {
            p.insert(k, v.clone());
        }
        p
    }

    /// `kind(k=v, ...)`, or `kind` without parameters.
    ///
    /// ```
    /// use curvlab::study::expand::Instance;
    /// use curvlab::params::Value;
    /// let i = Instance { kind: "adam".into(), params: [("lr".to_string(), Value::Num(0.01))].into(), table: 0 };
    /// assert_eq!(i.label(), "adam(lr=0.01)");
    /// ```
    pub fn label(&self) -> String {
        if self.params.is_empty() {
            return self.kind.clone();
        }
        let kv: Vec<String> = self
            .params
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        format!("{}({})", self.kind, kv.join(", "))
    }
}
