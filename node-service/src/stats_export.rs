//! The statistics as Excel workbooks (rust_xlsxwriter): the same numbers as the page, rates as
//! percentages, column widths set for Chinese text (its autofit counts a CJK character as 8 px),
//! and a native Excel column chart of the composite scores beside the table.

use rust_xlsxwriter::{Chart, ChartType, Format, Workbook, XlsxError};

use hotline_operations::stats::UnitReport;

/// The columns of the hot-topics table after the topic's name, in page order.
pub const TOPIC_HEADS: [&str; 12] = [
    "受理",
    "上期",
    "环比",
    "去年同期",
    "同比",
    "直接办结",
    "派单",
    "退单",
    "延期",
    "重办",
    "不满意",
    "难点合计",
];

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
    units_sheet(&mut book, report)?;
    book.save_to_buffer()
}

/// The monthly report (月度统计报表): the unit assessment, the hot topics and the repeated
/// requests of one month, the same sheets as the pages' exports.
pub fn monthly_workbook(
    units: &UnitReport,
    topics: &hotline_operations::topics::TopicReport,
) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    units_sheet(&mut book, units)?;
    topics_sheets(&mut book, topics)?;
    book.save_to_buffer()
}

fn units_sheet(book: &mut Workbook, report: &UnitReport) -> Result<(), XlsxError> {
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
    Ok(())
}

/// The hot topics and hard problems workbook: the topics with their comparisons and troubles,
/// a native bar chart of the first fifteen by what the page ranks them on, and the repeated
/// requests on a second sheet.
pub fn topics_workbook(
    report: &hotline_operations::topics::TopicReport,
) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    topics_sheets(&mut book, report)?;
    book.save_to_buffer()
}

fn topics_sheets(
    book: &mut Workbook,
    report: &hotline_operations::topics::TopicReport,
) -> Result<(), XlsxError> {
    let title = Format::new().set_bold().set_font_size(14);
    let head = Format::new()
        .set_bold()
        .set_background_color("#E8EEF5")
        .set_border(rust_xlsxwriter::FormatBorder::Thin);
    let pct = Format::new().set_num_format("+0.0%;-0.0%;0.0%");
    let sheet = book.add_worksheet();
    sheet.set_name("热点难点")?;
    sheet.write_with_format(
        0,
        0,
        format!(
            "热点难点 · {}（上期 {}，去年同期 {}）",
            report.label, report.previous_label, report.year_before_label
        )
        .as_str(),
        &title,
    )?;
    let mut heads = vec!["名称"];
    heads.extend(TOPIC_HEADS);
    for (c, h) in heads.iter().enumerate() {
        sheet.write_with_format(2, c as u16, *h, &head)?;
    }
    for (i, t) in report.rows.iter().enumerate() {
        let row = 3 + i as u32;
        let f = &t.figures;
        sheet.write(row, 0, t.name.as_str())?;
        sheet.write(row, 1, f.received)?;
        sheet.write(row, 2, t.previous)?;
        if let Some(v) = t.change {
            sheet.write_with_format(row, 3, v, &pct)?;
        }
        sheet.write(row, 4, t.year_before)?;
        if let Some(v) = t.yoy {
            sheet.write_with_format(row, 5, v, &pct)?;
        }
        for (k, v) in [
            f.direct,
            f.dispatched,
            f.returned,
            f.extended,
            f.redone,
            f.unsatisfied,
            t.troubles,
        ]
        .iter()
        .enumerate()
        {
            sheet.write(row, 6 + k as u16, *v)?;
        }
    }
    sheet.set_column_width(0, 36)?;
    for c in 1..heads.len() as u16 {
        sheet.set_column_width(c, 10)?;
    }
    sheet.set_freeze_panes(3, 1)?;
    if !report.rows.is_empty() {
        let last = 2 + report.rows.len().min(15) as u32;
        let col = if report.order == "troubles" { 12 } else { 1 };
        let mut chart = Chart::new(ChartType::Bar);
        chart
            .add_series()
            .set_categories(("热点难点", 3, 0, last, 0))
            .set_values(("热点难点", 3, col, last, col))
            .set_name(heads[col as usize]);
        chart.title().set_name(if col == 1 {
            "受理量（前15）"
        } else {
            "难点合计（前15）"
        });
        chart.legend().set_hidden();
        chart.y_axis().set_reverse();
        chart.set_height(420);
        sheet.insert_chart(2, heads.len() as u16 + 1, &chart)?;
    }
    let spots = book.add_worksheet();
    spots.set_name("重复诉求")?;
    spots.write_with_format(0, 0, "同一地点同一事项的重复诉求", &title)?;
    for (c, h) in ["事项", "地点", "次数", "重办", "不满意"]
        .iter()
        .enumerate()
    {
        spots.write_with_format(2, c as u16, *h, &head)?;
    }
    for (i, s) in report.repeated.iter().enumerate() {
        let row = 3 + i as u32;
        spots.write(row, 0, s.subject_name.as_str())?;
        spots.write(row, 1, s.place.as_str())?;
        spots.write(row, 2, s.figures.received)?;
        spots.write(row, 3, s.figures.redone)?;
        spots.write(row, 4, s.figures.unsatisfied)?;
    }
    spots.set_column_width(0, 30)?;
    spots.set_column_width(1, 36)?;
    Ok(())
}
