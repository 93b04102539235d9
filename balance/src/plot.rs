//! The report as a picture (SVG): each pairing's, the first player's and each bot's win
//! rate with its 95 % interval on top; below, per card, how much more its deck wins in the
//! games it is played in than in those it is not.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::{Estimate, Report};

/// Draws `report` into an SVG file at `path`.
pub fn draw(path: &Path, report: &Report) -> Result<(), String> {
    let root = SVGBackend::new(path, (1400, 900)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let (top, bottom) = root.split_vertically(380);
    rates(&top, report).map_err(|e| e.to_string())?;
    cards(&bottom, report).map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())
}

type Drawn = Result<(), DrawingAreaErrorKind<std::io::Error>>;

fn rates(area: &DrawingArea<SVGBackend, Shift>, report: &Report) -> Drawn {
    let mut rows: Vec<(String, Estimate)> = Vec::new();
    for p in &report.pairings {
        if let Some(e) = p.first_win_rate {
            rows.push((format!("{} vs {}", p.first, p.second), e));
        }
    }
    if let Some(e) = report.first_player {
        rows.push(("first player".to_owned(), e));
    }
    for b in &report.bots {
        if let Some(e) = b.win_rate {
            rows.push((format!("bot {}: {}", b.side, b.level), e));
        }
    }
    let n = rows.len().max(1);
    let mut chart = ChartBuilder::on(area)
        .caption(
            format!("win rates, 95% intervals ({} games)", report.games),
            ("sans-serif", 20),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d((0..n).into_segmented(), 0.0..1.0)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(n)
        .x_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) => rows.get(*i).map_or(String::new(), |r| r.0.clone()),
            _ => String::new(),
        })
        .y_label_formatter(&|y| format!("{:.0}%", y * 100.0))
        .draw()?;
    chart.draw_series(std::iter::once(PathElement::new(
        vec![(SegmentValue::Exact(0), 0.5), (SegmentValue::Exact(n), 0.5)],
        BLACK.mix(0.4),
    )))?;
    for (i, (_, e)) in rows.iter().enumerate() {
        let colour = if e.differs_from_even() { RED } else { BLUE };
        chart.draw_series(std::iter::once(ErrorBar::new_vertical(
            SegmentValue::CenterOf(i),
            e.low,
            e.rate,
            e.high,
            colour.filled(),
            12,
        )))?;
    }
    Ok(())
}

fn cards(area: &DrawingArea<SVGBackend, Shift>, report: &Report) -> Drawn {
    let mut rows: Vec<(String, f64)> = report
        .cards
        .iter()
        .filter_map(|c| {
            let played = c.win_rate_played?.rate;
            let not = c.win_rate_not_played?.rate;
            Some((format!("{} ({})", c.name, c.deck), 100.0 * (played - not)))
        })
        .collect();
    rows.sort_by(|a, b| b.1.total_cmp(&a.1));
    let n = rows.len().max(1);
    let reach = rows.iter().map(|r| r.1.abs()).fold(5.0, f64::max) * 1.1;
    let mut chart = ChartBuilder::on(area)
        .caption(
            "per card: win rate when played minus when not (points)",
            ("sans-serif", 20),
        )
        .margin(12)
        .x_label_area_size(230)
        .y_label_area_size(50)
        .build_cartesian_2d((0..n).into_segmented(), -reach..reach)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(n)
        .x_label_style(
            ("sans-serif", 11)
                .into_font()
                .transform(FontTransform::Rotate90),
        )
        .x_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) => rows.get(*i).map_or(String::new(), |r| r.0.clone()),
            _ => String::new(),
        })
        .draw()?;
    chart.draw_series(rows.iter().enumerate().map(|(i, (_, delta))| {
        let colour = if *delta >= 0.0 { GREEN } else { RED };
        Rectangle::new(
            [
                (SegmentValue::Exact(i), 0.0),
                (SegmentValue::Exact(i + 1), *delta),
            ],
            colour.mix(0.7).filled(),
        )
    }))?;
    Ok(())
}
