//! Grid dimensions beside alpha: the elastic-net mix (`--l1-ratios`) and the width of one layer
//! (`--units LAYER=8,64,256`). Every point of their product × every alpha is a trial, as
//! cv.glmnet runs its lambda path once per alpha (mix); the trial key carries the point, so a
//! resumed search reuses only trials of the same mix and width.

use super::select::AlphaScore;
use crate::nn::LayerConfig;
use crate::penalty::{Family, FamilyKind};
use crate::spec::ModelSpec;
use crate::Error;
use serde::Serialize;

/// `--units LAYER=W1,W2,…`: the widths one Dense layer is tried at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnitsGrid {
    /// The layer's name (`dense_0`).
    pub layer: String,
    /// Widths in the order given, each ≥ 1, no duplicates.
    pub widths: Vec<usize>,
}

/// The extra dimensions of a search (both empty: a search over alpha alone).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Dimensions {
    /// glmnet mixes `r` of `alpha·(r·Σ|w| + (1−r)/2·Σw²)`, each in [0, 1].
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub l1_ratios: Vec<f64>,
    /// Widths of one layer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub units: Option<UnitsGrid>,
}

/// One point of the dimensions: the mix and the width a trial uses (`None`: not searched).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Point {
    /// The mix, with `--l1-ratios`.
    pub l1_ratio: Option<f64>,
    /// The width of the searched layer, with `--units`.
    pub units: Option<usize>,
}

/// Parses `--l1-ratios 0.1,0.5,0.9,1`: values in [0, 1], duplicates dropped, order kept.
pub fn parse_l1_ratios(text: &str) -> Result<Vec<f64>, Error> {
    let mut out: Vec<f64> = Vec::new();
    for part in text.split(',') {
        let r: f64 =
            part.trim().parse().map_err(|_| Error::invalid("l1-ratios", "a list of numbers in [0, 1]", text))?;
        if !(0.0..=1.0).contains(&r) {
            return Err(Error::invalid("l1-ratios", "each in [0, 1]", r));
        }
        if !out.contains(&r) {
            out.push(r);
        }
    }
    Ok(out)
}

/// Parses `--units dense_0=8,64,256`.
pub fn parse_units(text: &str) -> Result<UnitsGrid, Error> {
    let bad = || Error::invalid("units", "LAYER=W1,W2,… with widths ≥ 1 (dense_0=8,64,256)", text);
    let (layer, list) = text.split_once('=').ok_or_else(bad)?;
    let mut widths: Vec<usize> = Vec::new();
    for part in list.split(',') {
        let w: usize = part.trim().parse().map_err(|_| bad())?;
        if w == 0 {
            return Err(bad());
        }
        if !widths.contains(&w) {
            widths.push(w);
        }
    }
    let layer = layer.trim().to_string();
    if layer.is_empty() {
        return Err(bad());
    }
    Ok(UnitsGrid { layer, widths })
}

impl Dimensions {
    /// Whether the search has a dimension beside alpha.
    pub fn is_empty(&self) -> bool {
        self.l1_ratios.is_empty() && self.units.is_none()
    }

    /// Every point, mixes outer, widths inner, in the order given.
    pub fn points(&self) -> Vec<Point> {
        let ratios: Vec<Option<f64>> =
            if self.l1_ratios.is_empty() { vec![None] } else { self.l1_ratios.iter().map(|&r| Some(r)).collect() };
        let widths: Vec<Option<usize>> =
            self.units.as_ref().map_or(vec![None], |u| u.widths.iter().map(|&w| Some(w)).collect());
        ratios.iter().flat_map(|&l1_ratio| widths.iter().map(move |&units| Point { l1_ratio, units })).collect()
    }

    /// Checks the dimensions against the family and the spec before anything runs: a mix needs
    /// a family with both parts (`l1l2`, `elastic-net`), a width a hidden Dense layer.
    pub fn validate(&self, spec: &ModelSpec, family: &Family) -> Result<(), Error> {
        if !self.l1_ratios.is_empty() && !matches!(family.kind(), FamilyKind::L1L2 | FamilyKind::ElasticNet(_)) {
            return Err(Error::invalid(
                "l1-ratios",
                "used with a family that mixes L1 and L2 (l1l2, elastic-net)",
                family,
            ));
        }
        for p in self.points() {
            self.spec_at(spec, &p)?;
            p.family(family)?;
        }
        Ok(())
    }

    /// The spec with the point's width on the searched layer (the next layer's input follows,
    /// since shapes are inferred when the model is built).
    pub fn spec_at(&self, spec: &ModelSpec, point: &Point) -> Result<ModelSpec, Error> {
        let (Some(grid), Some(width)) = (&self.units, point.units) else { return Ok(spec.clone()) };
        let model = spec.build_model()?;
        let names: Vec<String> = model.layers().iter().map(|l| l.name().to_string()).collect();
        let index = names.iter().position(|n| *n == grid.layer).ok_or_else(|| {
            Error::Spec(format!("--units: the spec has no layer `{}` (its layers: {})", grid.layer, names.join(", ")))
        })?;
        if index + 1 == names.len() {
            return Err(Error::Spec(format!(
                "--units: `{}` is the output layer; its width is the number of targets",
                grid.layer
            )));
        }
        let mut out = spec.clone();
        match &mut out.layers[index] {
            LayerConfig::Dense(d) => d.units = width,
            _ => return Err(Error::Spec(format!("--units: `{}` is not a Dense layer", grid.layer))),
        }
        out.build_model()?;
        Ok(out)
    }
}

impl Point {
    /// The family a trial of this point trains: with a mix, glmnet's elastic net at that
    /// ratio in the family's mode (`l1l2` and `elastic-net:R` alike: the mix is the dimension).
    pub fn family(&self, family: &Family) -> Result<Family, Error> {
        match self.l1_ratio {
            None => Ok(*family),
            Some(r) => Ok(Family::new(FamilyKind::ElasticNet(r), family.mode())?),
        }
    }

    /// The point of a score (what it was tagged with).
    pub fn of(score: &AlphaScore) -> Point {
        Point { l1_ratio: score.l1_ratio, units: score.units }
    }

    /// Orders points as the selection rules prefer them on a tie: the larger mix (sparser),
    /// then the narrower width (smaller network). `Greater` means simpler.
    pub fn simpler(&self, other: &Point) -> std::cmp::Ordering {
        let ratio = |p: &Point| p.l1_ratio.unwrap_or(0.0);
        let width = |p: &Point| std::cmp::Reverse(p.units.unwrap_or(0));
        ratio(self).total_cmp(&ratio(other)).then(width(self).cmp(&width(other)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = "input_shape = [2]\nloss = \"binary_crossentropy\"\n[[layers]]\ntype = \"dense\"\nunits = 4\n\
                        activation = \"relu\"\n[[layers]]\ntype = \"dense\"\nunits = 1\nactivation = \"sigmoid\"\n";

    #[test]
    fn parses_checks_and_builds_points() {
        assert_eq!(parse_l1_ratios("0.1, 0.5,1,0.5").unwrap(), [0.1, 0.5, 1.0]);
        for bad in ["1.5", "-0.1", "x", ""] {
            assert!(parse_l1_ratios(bad).unwrap_err().to_string().contains("l1-ratios"), "{bad}");
        }
        let u = parse_units("dense_0=8,64,8").unwrap();
        assert_eq!((u.layer.as_str(), u.widths.as_slice()), ("dense_0", [8, 64].as_slice()));
        for bad in ["dense_0", "dense_0=0", "=8", "dense_0=8,x"] {
            assert!(parse_units(bad).is_err(), "{bad}");
        }
        let spec = ModelSpec::from_toml(SPEC).unwrap();
        let dims = Dimensions { l1_ratios: vec![0.5, 1.0], units: Some(u) };
        let points = dims.points();
        assert_eq!(points.len(), 4);
        assert_eq!(points[1], Point { l1_ratio: Some(0.5), units: Some(64) });
        let wide = dims.spec_at(&spec, &points[1]).unwrap().build_model().unwrap();
        assert_eq!(wide.parameter_count(), 2 * 64 + 64 + 64 + 1);
        let en: Family = "elastic-net:0.3@proximal".parse().unwrap();
        dims.validate(&spec, &en).unwrap();
        assert_eq!(points[1].family(&en).unwrap().to_string(), "elastic-net:0.5@proximal");
        let e = dims.validate(&spec, &Family::L2).unwrap_err().to_string();
        assert!(e.contains("l1-ratios") && e.contains("l1l2"), "{e}");
        for (layer, why) in [("dense_1", "output layer"), ("dense_7", "no layer")] {
            let d =
                Dimensions { units: Some(UnitsGrid { layer: layer.into(), widths: vec![3] }), ..Dimensions::default() };
            let e = d.validate(&spec, &Family::L2).unwrap_err().to_string();
            assert!(e.contains(why), "{e}");
        }
        assert!(Point { l1_ratio: Some(1.0), units: Some(8) }
            .simpler(&Point { l1_ratio: Some(1.0), units: Some(64) })
            .is_gt());
    }
}
