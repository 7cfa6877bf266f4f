"""Realistic generated rows for the demo datasets: deterministic (seeded), Chinese, with valid check characters."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator

from kaifang.accounts.uscc import check_char
from kaifang.datastore.checks import id_card_check_char

DISTRICTS = ["姑苏区", "虎丘区", "吴中区", "相城区", "吴江区", "苏州工业园区", "常熟市", "张家港市", "昆山市", "太仓市"]
DISTRICT_CODES = {"姑苏区": "320508", "虎丘区": "320505", "吴中区": "320506", "相城区": "320507", "吴江区": "320509",
                  "苏州工业园区": "320571", "常熟市": "320581", "张家港市": "320582", "昆山市": "320583",
                  "太仓市": "320585"}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红娥玲芬燕彬斌宇浩凯健俊帆帅旭宁"
WORDS = ["科技", "信息", "智能", "电子", "新材料", "生物医药", "精密机械", "纺织", "物流", "文化传媒", "环保",
         "数据", "软件", "光电", "食品", "建设", "贸易", "咨询", "医疗器械", "汽车零部件"]
SUFFIX = ["有限公司", "股份有限公司", "有限责任公司"]
INDUSTRIES = ["制造业", "信息传输、软件和信息技术服务业", "批发和零售业", "科学研究和技术服务业", "建筑业",
              "租赁和商务服务业", "交通运输、仓储和邮政业", "住宿和餐饮业"]
ROADS = ["人民路", "干将路", "十全街", "金鸡湖大道", "星湖街", "苏州大道", "长江路", "东环路", "西环路", "石湖路",
         "太湖东路", "前进路", "萧林路", "淞江路"]


class Gen:
    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)

    def person(self) -> str:
        return self.r.choice(SURNAMES) + "".join(self.r.choice(GIVEN) for _ in range(self.r.choice((1, 2))))

    def district(self) -> str:
        return self.r.choice(DISTRICTS)

    def company(self, district: str | None = None) -> str:
        d = (district or self.district()).removesuffix("区").removesuffix("市")
        brand = "".join(self.r.choice("华瑞通达博远创新泰恒信宏盛鑫宇嘉源") for _ in range(2))
        return f"苏州{d}{brand}{self.r.choice(WORDS)}{self.r.choice(SUFFIX)}"

    def uscc(self, district: str) -> str:
        chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
        body = "91" + DISTRICT_CODES[district] + "".join(self.r.choice(chars) for _ in range(9))
        return body + check_char(body)

    def id_card(self, district: str) -> str:
        born = dt.date(1950, 1, 1) + dt.timedelta(days=self.r.randrange(0, 20000))
        body = DISTRICT_CODES[district] + born.strftime("%Y%m%d") + f"{self.r.randrange(0, 1000):03d}"
        return body + id_card_check_char(body)

    def date(self, start: dt.date, end: dt.date) -> dt.date:
        return start + dt.timedelta(days=self.r.randrange(0, max(1, (end - start).days)))

    def address(self, district: str) -> str:
        return f"苏州市{district}{self.r.choice(ROADS)}{self.r.randrange(1, 999)}号"

    def phone(self) -> str:
        return f"0512-{self.r.randrange(5000_0000, 6999_9999)}"


def enterprises(n: int, seed: int = 1) -> Iterator[dict]:
    """The enterprise register: credit codes with valid check characters."""
    g = Gen(seed)
    for _ in range(n):
        d = g.district()
        yield {"uscc": g.uscc(d), "name": g.company(d), "type": g.r.choice(["有限责任公司", "股份有限公司",
                                                                            "个人独资企业", "合伙企业"]),
               "legal_rep": g.person(), "capital": round(g.r.choice([50, 100, 200, 500, 1000, 3000]) *
                                                         g.r.uniform(0.5, 3), 2),
               "founded": g.date(dt.date(1995, 1, 1), dt.date(2026, 10, 1)).isoformat(),
               "industry": g.r.choice(INDUSTRIES), "district": d, "address": g.address(d),
               "status": g.r.choices(["存续", "在业", "注销", "迁出"], [70, 20, 8, 2])[0],
               "staff": g.r.randrange(1, 2000)}
