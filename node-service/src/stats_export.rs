//! The statistics as Excel workbooks (rust_xlsxwriter): the same numbers as the page, rates as
//! percentages, column widths set for Chinese text (its autofit counts a CJK character as 8 px),
//! and a native Excel column chart of the composite scores beside the table.

use rust_xlsxwriter::{Chart, ChartType, Format, Workbook, XlsxError};

use crate::api::stats::UnitReport;

/// The rate columns, in page order: heading and value.
pub const RATES: [(
    &str,
    fn(&hotline_model::assessment::UnitFigures) -> Option<f64>,
); 8] = [
    ("签收率", |f| f.sign_rate),
    ("按时办结率", |f| f.on_time_rate),
    ("解决率", |f| f.solved_rate),
    ("满意率", |f| f.satisfaction_rate),
    ("回访率", |f| f.callback_rate),
    ("重办率", |f| f.redo_rate),
    ("退单率", |f| f.return_rate),
    ("延期率", |f| f.extension_rate),
];

/// The assessment workbook: one sheet, a title, the table, the chart.
pub fn units_workbook(report: &UnitReport) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("单位考核")?;
    let title = Format::new().set_bold().set_font_size(14);
    let head = Format::new()
        .set_bold()
        .set_background_color("#E8EEF5")
        .set_border(rust_xlsxwriter::FormatBorder::Thin);
    let pct = Format::new().set_num_format("0.0%");
    let score = Format::new().set_num_format("0.0").set_bold();
    let name = if report.label.is_empty() {
        "单位考核".to_owned()
    } else {
        format!("单位考核 · {}", report.label)
    };
    sheet.write_with_format(0, 0, name.as_str(), &title)?;
    let mut heads = vec!["排名", "单位", "承办"];
    heads.extend(RATES.iter().map(|(h, _)| *h));
    heads.extend(["催办", "督办", "综合得分"]);
    for (c, h) in heads.iter().enumerate() {
        sheet.write_with_format(2, c as u16, *h, &head)?;
    }
    for (i, r) in report.units.iter().enumerate() {
        let row = 3 + i as u32;
        if let Some(rank) = r.rank {
            sheet.write(row, 0, rank)?;
        }
        sheet.write(row, 1, r.name.as_deref().unwrap_or(&r.figures.unit))?;
        sheet.write(row, 2, r.figures.assigned)?;
        for (k, (_, get)) in RATES.iter().enumerate() {
            if let Some(v) = get(&r.figures) {
                sheet.write_with_format(row, 3 + k as u16, v, &pct)?;
            }
        }
        let c = 3 + RATES.len() as u16;
        sheet.write(row, c, r.figures.urged)?;
        sheet.write(row, c + 1, r.figures.supervised)?;
        if let Some(s) = r.score {
            sheet.write_with_format(row, c + 2, s, &score)?;
        }
    }
    sheet.set_column_width(0, 6)?;
    sheet.set_column_width(1, 28)?;
    for c in 2..heads.len() as u16 {
        sheet.set_column_width(c, 11)?;
    }
    sheet.set_freeze_panes(3, 2)?;
    if !report.units.is_empty() {
        let last = 2 + report.units.len() as u32;
        let score_col = 3 + RATES.len() as u16 + 2;
        let mut chart = Chart::new(ChartType::Column);
        chart
            .add_series()
            .set_categories(("单位考核", 3, 1, last, 1))
            .set_values(("单位考核", 3, score_col, last, score_col))
            .set_name("综合得分");
        chart.title().set_name("各单位综合得分");
        chart.legend().set_hidden();
        chart.set_width(40 * report.units.len().max(12) as u32 + 120);
        sheet.insert_chart(2, score_col + 2, &chart)?;
    }
    book.save_to_buffer()
}
