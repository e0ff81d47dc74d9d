//! The text a unit of work (a cold trial or a warm path) travels in between MPI ranks
//! (`ranks.rs`): exact, floats as bit patterns, so a worker trains the very unit rank 0 planned.

use shrink::search::{Chain, Point};

/// `l1_ratio bits|-  units|-  repeat  fold  alpha bits,…  done flags` (tab-separated).
pub(crate) fn encode_unit(point: &Point, chain: &Chain) -> String {
    let opt = |v: Option<u64>| v.map_or("-".to_string(), |v| v.to_string());
    let alphas: Vec<String> = chain.alphas.iter().map(|a| a.to_bits().to_string()).collect();
    let done: String = chain.done.iter().map(|&d| if d { '1' } else { '0' }).collect();
    format!(
        "{}\t{}\t{}\t{}\t{}\t{done}",
        opt(point.l1_ratio.map(f64::to_bits)),
        opt(point.units.map(|u| u as u64)),
        chain.repeat,
        chain.fold,
        alphas.join(",")
    )
}

pub(crate) fn decode_unit(text: &str) -> Option<(Point, Chain)> {
    let f: Vec<&str> = text.split('\t').collect();
    if f.len() != 6 {
        return None;
    }
    let opt = |t: &str| if t == "-" { Some(None) } else { t.parse::<u64>().ok().map(Some) };
    let point = Point { l1_ratio: opt(f[0])?.map(f64::from_bits), units: opt(f[1])?.map(|u| u as usize) };
    let alphas: Vec<f64> = f[4].split(',').map(|a| a.parse().ok().map(f64::from_bits)).collect::<Option<_>>()?;
    let done: Vec<bool> = f[5].chars().map(|c| c == '1').collect();
    let chain = Chain { repeat: f[2].parse().ok()?, fold: f[3].parse().ok()?, alphas, done };
    Some((point, chain))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_round_trip_exactly() {
        let point = Point { l1_ratio: Some(0.1 + 0.2), units: Some(64) };
        let chain = Chain { repeat: 2, fold: 1, alphas: vec![1e-3, 0.1 / 3.0], done: vec![true, false] };
        let (p, c) = decode_unit(&encode_unit(&point, &chain)).unwrap();
        assert_eq!(p, point);
        assert_eq!((c.repeat, c.fold, c.alphas, c.done), (2, 1, chain.alphas.clone(), chain.done.clone()));
        let (p, _) = decode_unit(&encode_unit(&Point::default(), &chain)).unwrap();
        assert_eq!(p, Point::default());
        assert!(decode_unit("1\t2").is_none());
    }
}
