//! The run as a picture (SVG): action → update latency percentiles a second on top,
//! players (playing, waiting, coming back) and actions a second below.

use std::path::Path;

use plotters::prelude::*;

use crate::report::Point;

pub fn draw(path: &Path, title: &str, timeline: &[Point]) -> anyhow::Result<()> {
    let root = SVGBackend::new(path, (1200, 800)).into_drawing_area();
    root.fill(&WHITE).map_err(plot_error)?;
    let (top, bottom) = root.split_vertically(400);
    let t_max = timeline.last().map_or(1.0, |p| p.t).max(1.0);

    let with_actions: Vec<&Point> = timeline.iter().filter(|p| p.action.count > 0).collect();
    let latency_max = with_actions
        .iter()
        .map(|p| p.action.p999_ms)
        .fold(1.0, f64::max)
        * 1.1;
    let mut latency = ChartBuilder::on(&top)
        .caption(
            format!("{title}: action → acknowledged update"),
            ("sans-serif", 20),
        )
        .margin(12)
        .x_label_area_size(32)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..t_max, 0.0..latency_max)
        .map_err(plot_error)?;
    latency
        .configure_mesh()
        .x_desc("seconds")
        .y_desc("ms")
        .draw()
        .map_err(plot_error)?;
    for (name, color, pick) in [
        (
            "p50",
            BLUE,
            (|p: &Point| p.action.p50_ms) as fn(&Point) -> f64,
        ),
        ("p99", RED, |p| p.action.p99_ms),
        ("p99.9", MAGENTA, |p| p.action.p999_ms),
    ] {
        latency
            .draw_series(LineSeries::new(
                with_actions.iter().map(|p| (p.t, pick(p))),
                color.stroke_width(2),
            ))
            .map_err(plot_error)?
            .label(name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color));
    }
    latency
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(plot_error)?;

    let players_max = timeline
        .iter()
        .map(|p| p.active.max(p.actions))
        .max()
        .unwrap_or(1)
        .max(1) as f64
        * 1.1;
    let mut players = ChartBuilder::on(&bottom)
        .caption("players and actions", ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(32)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..t_max, 0.0..players_max)
        .map_err(plot_error)?;
    players
        .configure_mesh()
        .x_desc("seconds")
        .draw()
        .map_err(plot_error)?;
    for (name, color, pick) in [
        (
            "playing",
            GREEN,
            (|p: &Point| p.playing) as fn(&Point) -> u64,
        ),
        ("waiting in the lobby", CYAN, |p| p.waiting),
        ("resuming", RED, |p| p.resuming),
        ("actions / s", BLACK, |p| p.actions),
    ] {
        players
            .draw_series(LineSeries::new(
                timeline.iter().map(|p| (p.t, pick(p) as f64)),
                color.stroke_width(2),
            ))
            .map_err(plot_error)?
            .label(name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color));
    }
    players
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(plot_error)?;
    root.present().map_err(plot_error)?;
    Ok(())
}

fn plot_error<E: std::fmt::Display>(error: E) -> anyhow::Error {
    anyhow::anyhow!("drawing the plot: {error}")
}
