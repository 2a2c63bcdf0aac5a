"""ReceiptData examples for the receipt tests and the benchmark (fictitious people; masked as the intake would)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from reception.receipts.data import ReceiptData, ReceiptDeadline, ReceiptPerson

FULL_ID = "430502198703151234"
"""The unmasked ID behind ``MASKED_ID``: must never appear on a receipt."""
MASKED_ID = "430502********1234"
FULL_PHONE = "13812345678"
MASKED_PHONE = "138****5678"

QUERY_HINT = (
    "可拨打区信访接待中心电话 0731-5555 0000（工作日 8:30—17:30），或登录“网上信访”平台输入编号和查询码，"
    "查询办理进展；收到处理意见后，可通过短信回访、电话回访或到接待窗口对办理情况作出满意度评价。"
)

DEADLINES = (
    ReceiptDeadline("登记并转送、交办", date(2026, 12, 14), "《信访工作条例》第二十二条"),
    ReceiptDeadline("责任单位告知是否受理", None, "《信访工作条例》第二十三条", note="自责任单位收到之日起15日内"),
    ReceiptDeadline("办理并书面答复", None, "《信访工作条例》第三十四条", note="自受理之日起60日内"),
)


def basic() -> ReceiptData:
    return ReceiptData(
        case_no="JD01-20261128-0007",
        query_code="K7P2QX9M",
        registered_at=datetime(2026, 11, 28, 9, 42),
        registering_unit="雨湖区信访接待中心",
        officer_name="刘晓梅",
        desk_name="1号接待窗口",
        channel_label="来访",
        content_class_label="申诉求决类",
        category_label="城乡建设 / 物业管理",
        locality_label="翠园街道 / 尚书茗苑社区 / 第3网格",
        persons=(ReceiptPerson("夏丽云", MASKED_ID, "居民身份证", MASKED_PHONE),),
        headcount=1,
        request_summary="反映尚书茗苑小区3栋电梯多次停运，物业公司未及时维修，要求督促物业限期修复并公开维修资金使用情况。",
        routing_label="交办",
        routing_unit="翠园街道办事处",
        deadlines=DEADLINES,
        query_hint=QUERY_HINT,
        printed_at=datetime(2026, 11, 28, 9, 45),
        footer="本回执是信访事项的登记凭证，请妥善保管。",
    )


REPRESENTATIVES = ("唐建国", "罗塘生", "湖口井", "紫霞光", "桂花香")


def collective() -> ReceiptData:
    persons = tuple(
        ReceiptPerson(name, f"430521********{2101 + i}", "居民身份证", f"139****{1001 + i}", is_representative=True)
        for i, name in enumerate(REPRESENTATIVES)
    )
    return replace(
        basic(),
        case_no="JD01-20261128-0012",
        query_code="R4T8WZ2N",
        channel_label="来访",
        locality_label="雨溪街道 / 唐四村 / 第12网格",
        category_label="农村农业 / 土地征收补偿",
        persons=persons,
        headcount=37,
        request_summary="唐四村第五、第六村民小组37户村民反映集体土地征收补偿款分配方案未经村民会议讨论，要求公开分配方案。",
        routing_label="交办",
        routing_unit="雨溪街道办事处、区自然资源局",
    )


LONG_PARAGRAPH = (
    "2019年起，本人承包的鱼塘因相邻工地施工排水被污染，先后三次向社区和街道反映，"
    "街道答复将协调施工单位赔偿，但至今未落实；施工单位称排水经过审批，责任在于管网设计，"
    "管网设计单位又称已按规划施工。本人多次往返各单位，均被告知不属于其职责范围。"
    "要求：一、明确责任单位；二、对鱼塘损失进行评估并赔偿；三、整改排水管网，防止再次污染。"
)


def long_request() -> ReceiptData:
    return replace(
        basic(),
        case_no="JD01-20261128-0020",
        query_code="L0NG2Q7R",
        request_summary="\n".join([LONG_PARAGRAPH] * 12),
    )


RARE_NAME = "王䶮堃"
"""䶮 (U+4DAE, Ext-A) is missing from WenQuanYi Micro Hei: it must come from a fallback font."""
RARE_NAME_EXT_B = "𠮷田喆"
"""𠮷 (U+20BB7, Ext-B) is in SimSun-ExtB on Windows and in no font on a bare Linux: then printed as "□"."""
NO_FONT_CHAR = "\U000f0001"
"""A private-use character no font has."""


def rare_name() -> ReceiptData:
    return replace(
        basic(),
        case_no="JD01-20261128-0031",
        query_code="RARE0031",
        persons=(
            ReceiptPerson(RARE_NAME, MASKED_ID, "居民身份证", MASKED_PHONE),
            ReceiptPerson(RARE_NAME_EXT_B, "E1234****", "护照", "", is_representative=False),
        ),
        headcount=2,
    )


LEGAL_NOTICE = (
    "您反映的劳动报酬争议属于劳动人事争议仲裁的受理范围，依照《信访工作条例》第三十一条，"
    "本机关不作为信访事项受理。请您自知道权利被侵害之日起一年内向雨湖区劳动人事争议仲裁委员会申请仲裁"
    "（地址：雨湖区人民路88号，电话 0731-5555 1234）。"
)


def legal_channel() -> ReceiptData:
    return replace(
        basic(),
        case_no="JD01-20261128-0044",
        query_code="LEGAL044",
        content_class_label="申诉求决类",
        category_label="劳动和社会保障 / 拖欠工资",
        request_summary="反映某建筑公司拖欠2025年下半年工资共计3.6万元，要求支付。",
        routing_label="导入法定途径（不作为信访事项受理）",
        routing_unit="雨湖区劳动人事争议仲裁委员会（劳动仲裁）",
        deadlines=(),
        notice=LEGAL_NOTICE,
    )


def reprint() -> ReceiptData:
    return replace(basic(), reprint=True, printed_at=datetime(2026, 12, 3, 15, 20))


ALL = {
    "basic": basic,
    "collective": collective,
    "long_request": long_request,
    "rare_name": rare_name,
    "legal_channel": legal_channel,
    "reprint": reprint,
}
