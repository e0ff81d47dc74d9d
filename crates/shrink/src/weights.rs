//! The size of a network's weights, per layer and role: the quantities a penalty acts on.

use crate::nn::{Model, Role};
use crate::Float;
use serde::Serialize;

/// Norms and sparsity of one parameter.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeightStats {
    /// `layer.role`, e.g. `dense_0.kernel`.
    pub name: String,
    /// The layer's name.
    pub layer: String,
    /// The parameter's role.
    pub role: Role,
    /// Its shape.
    pub shape: Vec<usize>,
    /// Number of values.
    pub count: usize,
    /// Σ|w|.
    pub l1: f64,
    /// √Σw² (Frobenius norm for matrices).
    pub l2: f64,
    /// max |w|.
    pub max_abs: f64,
    /// Number of values that are exactly 0.0.
    pub zeros: usize,
    /// `zeros / count`.
    pub zero_fraction: f64,
    /// For a 2-D kernel `[in, out]` (Dense): inputs (rows) with at least one non-zero weight; on
    /// the first layer, the selected input features. `None` for other parameters.
    pub selected_features: Option<usize>,
    /// For a 2-D kernel `[in, out]`: units (columns) whose incoming weights are all exactly zero.
    pub dead_units: Option<usize>,
}

impl WeightStats {
    /// Statistics of one slice of values.
    pub fn of<F: Float>(name: String, layer: String, role: Role, shape: Vec<usize>, values: &[F]) -> Self {
        let (mut l1, mut sq, mut max_abs, mut zeros) = (0.0f64, 0.0f64, 0.0f64, 0usize);
        for v in values {
            let a = v.f64().abs();
            l1 += a;
            sq += a * a;
            max_abs = max_abs.max(a);
            zeros += usize::from(a == 0.0);
        }
        let count = values.len();
        let (mut selected_features, mut dead_units) = (None, None);
        if role == Role::Kernel && shape.len() == 2 && shape[0] * shape[1] == count {
            let (rows, cols) = (shape[0], shape[1]);
            let nonzero = |i: usize| values[i].f64() != 0.0;
            selected_features = Some((0..rows).filter(|&r| (0..cols).any(|c| nonzero(r * cols + c))).count());
            dead_units = Some((0..cols).filter(|&c| (0..rows).all(|r| !nonzero(r * cols + c))).count());
        }
        WeightStats {
            name,
            layer,
            role,
            shape,
            count,
            l1,
            l2: sq.sqrt(),
            max_abs,
            zeros,
            zero_fraction: zeros as f64 / count.max(1) as f64,
            selected_features,
            dead_units,
        }
    }
}

/// One row per parameter of `model`, in layer order.
pub fn weight_report<F: Float>(model: &Model<F>) -> Vec<WeightStats> {
    model
        .layers()
        .iter()
        .flat_map(|layer| {
            layer.params().iter().map(move |p| {
                WeightStats::of(
                    format!("{}.{}", layer.name(), p.role),
                    layer.name().to_string(),
                    p.role,
                    p.shape.clone(),
                    &p.value,
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_by_hand() {
        let s = WeightStats::of("a.kernel".into(), "a".into(), Role::Kernel, vec![2, 2], &[3.0f32, -4.0, 0.0, 0.0]);
        assert_eq!((s.l1, s.l2, s.max_abs, s.zeros, s.zero_fraction), (7.0, 5.0, 4.0, 2, 0.5));
        // [[3, -4], [0, 0]]: input 1 unused, no dead unit; [[3, 0], [1, 0]]: unit 1 dead
        assert_eq!((s.selected_features, s.dead_units), (Some(1), Some(0)));
        let s = WeightStats::of("a.kernel".into(), "a".into(), Role::Kernel, vec![2, 2], &[3.0f32, 0.0, 1.0, 0.0]);
        assert_eq!((s.selected_features, s.dead_units), (Some(2), Some(1)));
        let b = WeightStats::of("a.bias".into(), "a".into(), Role::Bias, vec![2], &[0.0f32, 0.0]);
        assert_eq!((b.selected_features, b.dead_units), (None, None));
    }

    #[test]
    fn report_covers_every_parameter() {
        use crate::nn::{Dense, Model};
        let m = Model::<f32>::builder(&[3]).layer(Dense::new(4)).layer(Dense::new(1)).build(0).unwrap();
        let r = weight_report(&m);
        assert_eq!(
            r.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
            ["dense_0.kernel", "dense_0.bias", "dense_1.kernel", "dense_1.bias"]
        );
        assert_eq!(r[1].zeros, 4); // biases start at zero
    }
}
