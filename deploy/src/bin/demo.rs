//! `demo [--port-base N] [--data-dir DIR] [--fresh]`: the hub, two district nodes and a town node on
//! loopback with seeded data; prints the URLs and logins; Ctrl-C stops everything cleanly.

use clap::Parser;

/// Command-line arguments.
#[derive(Parser)]
#[command(about = "临江市12345热线平台 三级演示（枢纽 + 两个区 + 一个街道）")]
struct Args {
    /// The hub's HTTP port; the other nodes take the next three.
    #[arg(long, default_value_t = 8080)]
    port_base: u16,
    /// Where the nodes keep their data.
    #[arg(long, default_value = "demo-data")]
    data_dir: std::path::PathBuf,
    /// Start from empty data directories (re-seed).
    #[arg(long)]
    fresh: bool,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    node_service::cli::init_logging();
    let args = Args::parse();
    match run(args).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            match e.downcast_ref::<deploy::demo::PortTaken>() {
                Some(taken) => eprintln!("{taken}"),
                None => eprintln!("演示启动失败：{e:#}"),
            }
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> anyhow::Result<()> {
    if args.fresh && args.data_dir.exists() {
        std::fs::remove_dir_all(&args.data_dir)?;
    }
    std::fs::create_dir_all(&args.data_dir)?;
    let now = (node_service::system_clock())();
    let demo = deploy::demo::start(&args.data_dir, args.port_base, now).await?;
    println!("正在同步各节点……");
    if !deploy::demo::wait_caught_up(&demo, std::time::Duration::from_secs(60)).await {
        println!("部分节点尚未同步完成，稍后可在 /api/health 的 links 中查看进度。");
    }
    println!(
        "\n临江市12345热线平台演示已启动（数据目录 {}）：",
        args.data_dir.display()
    );
    for (node, info) in demo.nodes.iter().zip(deploy::demo::NODES.iter()) {
        let health = node.state.store.status_counts().await?;
        let total: i64 = health.iter().map(|(_, n)| n).sum();
        println!(
            "  {:<28} 工作台 {}/staff/   状态 {}/api/health   工单 {total} 件",
            info.title,
            node.url(),
            node.url()
        );
    }
    println!("\n演示账号（在各节点的工作台登录；每个账号只能在服务其单位的节点登录）：");
    for (role, logins) in [
        ("话务员", "op01 … op08"),
        ("值班长", "sl01, sl02"),
        ("审核督办员", "sv01, sv02"),
        ("市领导", "leader01"),
        ("纪委电子监察", "insp01"),
        (
            "单位业务管理员",
            "b-zjj-handler, d01-handler, d01-t01-handler …",
        ),
        ("单位信息管理员", "b-rsj-admin, d02-admin …"),
        ("用户管理员", "admin（中心）, d01-useradmin（东湖区）"),
    ] {
        println!("  {role:<10} {logins}");
    }
    println!("演示密码：{}", deploy::demo::DEMO_PASSWORD);
    let hub = demo.nodes[0].url();
    println!("\n市民网站（提交诉求、办理查询、评价、办理公示、数据公开、服务承诺）：{hub}/");
    if !demo.samples.is_empty() {
        println!("在“办理查询”页输入下列工单编号和查询码试试（工单编号 / 查询码 / 状态）：");
        for (n, c, s) in &demo.samples {
            println!("  {n}  {c}  {s}");
        }
    }
    if let Some((n, c, _)) = demo.samples.first() {
        println!(
            "同一查询的接口：curl -H 'content-type: application/json' {hub}/api/public/lookup -d '{{\"number\":\"{n}\",\"code\":\"{c}\"}}'"
        );
    }
    println!("\nOpen311 GeoReport v2：{hub}/open311/v2/services.xml （或 .json）");
    if let Some(key) = &demo.open311_key {
        println!(
            "  演示应用“临江随手拍”的 api_key：{key}\n  提交示例：curl {hub}/open311/v2/requests.json -d api_key={key} -d service_code=CG.SZ.LD -d lat=30.27 -d long=120.15 --data-urlencode 'description=路灯不亮' --data-urlencode 'address_string=滨江路口'"
        );
    }
    println!(
        "\n短信：演示用短信网关把各节点发出的短信（受理告知、派单与催办提醒、满意度回访）写入 {}",
        demo.sms.log.display()
    );
    println!(
        "  模拟市民回复短信（回复1满意）：curl -H 'content-type: application/json' {hub}/api/inbound/sms/aliyun/{} -d '[{{\"phone_number\":\"市民手机号\",\"content\":\"1\",\"sequence_id\":1}}]'\n  不是回访答复的短信进入“市民来信”（话务员 op01），需电话回访的工单见“回访名单”。",
        deploy::demo::DEMO_PUSH_SECRET
    );
    println!(
        "\n接口调用先登录：curl -c /tmp/hotline.cookie -H 'content-type: application/json' {hub}/api/session -d '{{\"login\":\"sv01\",\"password\":\"{pw}\"}}'\n再带上会话：curl -b /tmp/hotline.cookie '{hub}/api/tickets?status=handling'\n按 Ctrl-C 停止。",
        pw = deploy::demo::DEMO_PASSWORD
    );
    tokio::signal::ctrl_c().await?;
    println!("正在停止……");
    // Children first, so no node redials a parent that is already gone.
    for node in demo.nodes.into_iter().rev() {
        node.shutdown().await?;
    }
    println!("已停止。");
    Ok(())
}
