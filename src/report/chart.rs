//! Geometry of the radar (spider) chart of the Villes Internet axes, drawn as SVG by the app.
//!
//! The chart lives in a square `size × size` view box. Axis `i` of `n` points from the centre at
//! the angle `-90° + i × 360° / n` (the first axis straight up, then clockwise), and a score of
//! 0–100 lies at `score / 100 × radius` along it.

/// A point in SVG user units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub x: f64,
    pub y: f64,
}

/// The frame of one radar chart.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Radar {
    pub size: f64,
    /// Room left around the chart for the axis labels.
    pub margin: f64,
    pub axes: usize,
}

impl Radar {
    pub fn centre(&self) -> Point {
        Point {
            x: self.size / 2.0,
            y: self.size / 2.0,
        }
    }

    pub fn radius(&self) -> f64 {
        self.size / 2.0 - self.margin
    }

    /// Angle of axis `i`, in radians.
    fn angle(&self, i: usize) -> f64 {
        -std::f64::consts::FRAC_PI_2 + i as f64 * std::f64::consts::TAU / self.axes as f64
    }

    /// The point at `fraction` (0–1) of the radius along axis `i`.
    pub fn at(&self, i: usize, fraction: f64) -> Point {
        let c = self.centre();
        let r = self.radius() * fraction.clamp(0.0, 1.0);
        let a = self.angle(i);
        Point {
            x: c.x + r * a.cos(),
            y: c.y + r * a.sin(),
        }
    }

    /// The polygon's vertices for scores on the 0–100 scale, one per axis in order.
    pub fn points(&self, scores: &[f64]) -> Vec<Point> {
        scores
            .iter()
            .enumerate()
            .map(|(i, score)| self.at(i, score / 100.0))
            .collect()
    }

    /// Where the label of axis `i` goes: just outside the outer ring.
    pub fn label_anchor(&self, i: usize) -> Point {
        let c = self.centre();
        let r = self.radius() + self.margin * 0.45;
        let a = self.angle(i);
        Point {
            x: c.x + r * a.cos(),
            y: c.y + r * a.sin(),
        }
    }
}

/// An SVG `points` attribute, rounded to 0.1 unit (enough on any screen, and stable in tests).
pub fn svg_points(points: &[Point]) -> String {
    points
        .iter()
        .map(|p| format!("{:.1},{:.1}", p.x, p.y))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const RADAR: Radar = Radar {
        size: 300.0,
        margin: 50.0,
        axes: 4,
    };

    fn close(a: Point, b: Point) -> bool {
        (a.x - b.x).abs() < 1e-9 && (a.y - b.y).abs() < 1e-9
    }

    #[test]
    fn four_axes_point_up_right_down_left() {
        // Radius 100 around (150, 150).
        let full = RADAR.points(&[100.0, 100.0, 100.0, 100.0]);
        let expected = [(150.0, 50.0), (250.0, 150.0), (150.0, 250.0), (50.0, 150.0)];
        for (p, (x, y)) in full.iter().zip(expected) {
            assert!(close(*p, Point { x, y }), "{p:?} != ({x}, {y})");
        }
    }

    #[test]
    fn a_score_is_its_share_of_the_radius_and_zero_is_the_centre() {
        let p = RADAR.points(&[50.0, 25.0, 0.0, 75.0]);
        assert!(close(p[0], Point { x: 150.0, y: 100.0 }));
        assert!(close(p[1], Point { x: 175.0, y: 150.0 }));
        assert!(close(p[2], RADAR.centre()));
        assert!(close(p[3], Point { x: 75.0, y: 150.0 }));
    }

    #[test]
    fn out_of_range_scores_stay_on_the_chart() {
        let p = RADAR.points(&[150.0, -20.0, 100.0, 100.0]);
        assert!(close(p[0], RADAR.at(0, 1.0)));
        assert!(close(p[1], RADAR.centre()));
    }

    #[test]
    fn labels_sit_outside_the_outer_ring() {
        let label = RADAR.label_anchor(0);
        assert!(label.y < RADAR.at(0, 1.0).y);
        assert!(label.y > 0.0, "still inside the view box");
    }

    #[test]
    fn svg_points_are_rounded_pairs() {
        let s = svg_points(&[Point { x: 1.04, y: 2.0 }, Point { x: 150.0, y: 49.96 }]);
        assert_eq!(s, "1.0,2.0 150.0,50.0");
    }
}
