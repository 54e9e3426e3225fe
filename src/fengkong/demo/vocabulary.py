"""Word lists the demo generator draws names, places and industries from.

Kept apart from the generator so a reviewer can judge realism here and the logic there. Brands are
invented (two common 字号 characters, or a transliterated surname for foreign-invested companies)
so no demo customer is mistaken for a real firm.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class City:
    """A place customers register in. ``code`` is its GB/T 2260 code in reference/regions.csv."""

    code: str
    court_prefix: str  # the province's one-character abbreviation used in case numbers (沪, 粤…)
    weight: float
    has_districts: bool = True


@dataclass(frozen=True, slots=True)
class Trade:
    """An industry word for company names, with the GB/T 4754 divisions it belongs to."""

    section: str
    divisions: tuple[int, ...]
    zh: str
    en: str
    weight: float
    peak_month: int | None = None  # the month a seasonal business buys most, if it is seasonal


# Weighted toward where a Chinese B2B supplier's customers actually are: the Yangtze and Pearl
# River deltas, Beijing–Tianjin, and the large inland capitals.
CITIES: tuple[City, ...] = (
    City("310000", "沪", 10.0),
    City("110000", "京", 6.0),
    City("120000", "津", 2.5),
    City("500000", "渝", 2.5),
    City("440300", "粤", 6.0),
    City("440100", "粤", 5.0),
    City("441900", "粤", 3.0, has_districts=False),
    City("440600", "粤", 2.5),
    City("320500", "苏", 5.0),
    City("320100", "苏", 3.0),
    City("320200", "苏", 2.5),
    City("330100", "浙", 4.5),
    City("330200", "浙", 3.0),
    City("370200", "鲁", 2.0),
    City("370100", "鲁", 1.5),
    City("350200", "闽", 1.5),
    City("350100", "闽", 1.0),
    City("340100", "皖", 1.5),
    City("420100", "鄂", 2.0),
    City("430100", "湘", 1.5),
    City("410100", "豫", 1.5),
    City("510100", "川", 2.5),
    City("610100", "陕", 1.5),
    City("210100", "辽", 1.0),
    City("210200", "辽", 1.0),
    City("230100", "黑", 0.7),
    City("130100", "冀", 0.8),
)

TRADES: tuple[Trade, ...] = (
    Trade("A", (1,), "农业", "Agriculture", 1.0, peak_month=9),
    Trade("A", (3,), "牧业", "Animal Husbandry", 0.6),
    Trade("B", (8, 9), "矿业", "Mining", 0.6),
    Trade("C", (13, 14), "食品", "Foods", 2.5, peak_month=12),
    Trade("C", (15,), "酒业", "Wine & Spirits", 0.8, peak_month=12),
    Trade("C", (17,), "纺织", "Textile", 1.8, peak_month=8),
    Trade("C", (18,), "服饰", "Apparel", 1.5, peak_month=8),
    Trade("C", (22,), "纸业", "Paper", 0.8),
    Trade("C", (26,), "化工", "Chemical", 2.5),
    Trade("C", (27,), "医药", "Pharmaceutical", 1.5),
    Trade("C", (29,), "塑胶", "Plastics", 1.5),
    Trade("C", (30,), "建材", "Building Materials", 1.5, peak_month=4),
    Trade("C", (31, 32), "金属材料", "Metal Materials", 1.5),
    Trade("C", (34,), "机械", "Machinery", 3.0),
    Trade("C", (35,), "装备", "Equipment", 2.0),
    Trade("C", (36,), "汽车零部件", "Auto Parts", 2.5),
    Trade("C", (38,), "电气", "Electric", 2.0, peak_month=4),
    Trade("C", (39,), "电子", "Electronics", 3.0, peak_month=8),
    Trade("D", (44,), "能源", "Energy", 0.8),
    Trade("D", (45,), "燃气", "Gas", 0.5, peak_month=10),
    Trade("E", (47, 48), "建设工程", "Construction Engineering", 2.0, peak_month=3),
    Trade("E", (50,), "装饰工程", "Decoration Engineering", 1.0, peak_month=3),
    Trade("F", (51,), "贸易", "Trading", 5.0),
    Trade("F", (51,), "商贸", "Commerce", 2.5),
    Trade("F", (51,), "供应链管理", "Supply Chain Management", 1.5),
    Trade("F", (52,), "商业连锁", "Retail Chain", 1.5, peak_month=11),
    Trade("G", (54,), "运输", "Transportation", 1.0),
    Trade("G", (58, 59), "物流", "Logistics", 1.5, peak_month=10),
    Trade("H", (61,), "酒店管理", "Hotel Management", 0.5, peak_month=6),
    Trade("H", (62,), "餐饮管理", "Catering Management", 0.6, peak_month=12),
    Trade("I", (64,), "网络科技", "Network Technology", 1.2),
    Trade("I", (65,), "软件", "Software", 1.2),
    Trade("I", (65,), "信息技术", "Information Technology", 1.0),
    Trade("K", (70,), "置业", "Real Estate", 0.6),
    Trade("L", (71,), "租赁", "Leasing", 0.5),
    Trade("L", (72,), "商务咨询", "Business Consulting", 0.6),
    Trade("M", (73,), "生物科技", "Biotechnology", 0.8),
    Trade("M", (75,), "科技", "Technology", 1.5),
    Trade("N", (77,), "环保科技", "Environmental Technology", 0.6),
    Trade("R", (86, 87), "文化传媒", "Culture & Media", 0.6),
)

# 字号 characters with their pinyin; two of them make a brand such as 恒达 / Hengda.
BRAND_CHARACTERS: tuple[tuple[str, str], ...] = (
    ("华", "hua"), ("信", "xin"), ("恒", "heng"), ("达", "da"), ("鑫", "xin"), ("源", "yuan"),
    ("瑞", "rui"), ("丰", "feng"), ("博", "bo"), ("宏", "hong"), ("盛", "sheng"), ("泰", "tai"),
    ("明", "ming"), ("嘉", "jia"), ("兴", "xing"), ("隆", "long"), ("安", "an"), ("和", "he"),
    ("金", "jin"), ("海", "hai"), ("天", "tian"), ("宇", "yu"), ("新", "xin"), ("科", "ke"),
    ("凯", "kai"), ("德", "de"), ("润", "run"), ("永", "yong"), ("顺", "shun"), ("昌", "chang"),
    ("通", "tong"), ("伟", "wei"), ("中", "zhong"), ("远", "yuan"), ("立", "li"), ("众", "zhong"),
    ("创", "chuang"), ("汇", "hui"), ("联", "lian"), ("星", "xing"), ("辰", "chen"),
    ("正", "zheng"), ("东", "dong"), ("益", "yi"), ("佳", "jia"), ("利", "li"), ("诚", "cheng"),
    ("康", "kang"), ("祥", "xiang"), ("晟", "sheng"), ("卓", "zhuo"), ("铭", "ming"),
)  # fmt: skip

# Foreign-invested companies register a transliterated name: 博朗 for Brown, 霍夫曼 for Hoffmann.
FOREIGN_BRANDS: tuple[tuple[str, str], ...] = (
    ("博朗", "Brown"), ("威尔逊", "Wilson"), ("泰勒", "Taylor"), ("克拉克", "Clark"),
    ("米勒", "Miller"), ("霍夫曼", "Hoffmann"), ("施密特", "Schmidt"), ("贝克", "Baker"),
    ("卡特", "Carter"), ("莫里斯", "Morris"), ("伯格", "Berg"), ("诺德", "Nord"),
    ("维克多", "Victor"), ("奥斯汀", "Austin"), ("汉森", "Hansen"), ("拉森", "Larsen"),
    ("莫罗", "Moreau"), ("罗西", "Rossi"), ("田中", "Tanaka"), ("山本", "Yamamoto"),
    ("韦伯", "Weber"), ("穆勒", "Mueller"), ("福斯特", "Foster"), ("贝尔", "Bell"),
)  # fmt: skip

SURNAMES: tuple[tuple[str, str], ...] = (
    ("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"), ("杨", "yang"),
    ("赵", "zhao"), ("黄", "huang"), ("周", "zhou"), ("吴", "wu"), ("徐", "xu"), ("孙", "sun"),
    ("胡", "hu"), ("朱", "zhu"), ("高", "gao"), ("林", "lin"), ("何", "he"), ("郭", "guo"),
    ("马", "ma"), ("罗", "luo"), ("梁", "liang"), ("宋", "song"), ("郑", "zheng"), ("谢", "xie"),
    ("韩", "han"), ("唐", "tang"), ("冯", "feng"), ("于", "yu"), ("董", "dong"), ("萧", "xiao"),
)  # fmt: skip

GIVEN_NAMES: tuple[tuple[str, str], ...] = (
    ("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"),
    ("强", "qiang"), ("磊", "lei"), ("军", "jun"), ("洋", "yang"), ("勇", "yong"), ("艳", "yan"),
    ("杰", "jie"), ("娟", "juan"), ("涛", "tao"), ("明", "ming"), ("超", "chao"), ("霞", "xia"),
    ("平", "ping"), ("刚", "gang"), ("秀英", "xiuying"), ("桂英", "guiying"),
    ("建华", "jianhua"), ("海燕", "haiyan"), ("志强", "zhiqiang"), ("晓东", "xiaodong"),
    ("文斌", "wenbin"), ("国庆", "guoqing"), ("丽华", "lihua"), ("建国", "jianguo"),
    ("红梅", "hongmei"), ("子涵", "zihan"), ("浩然", "haoran"), ("雨萱", "yuxuan"),
)  # fmt: skip

CONTACT_TITLES: tuple[str, ...] = ("财务经理", "财务总监", "采购经理", "总经理", "出纳")

DEVELOPMENT_ZONES: tuple[str, ...] = (
    "经济技术开发区",
    "高新技术产业开发区",
    "工业园区",
    "新区",
    "临港产业园",
)

ROADS: tuple[str, ...] = (
    "人民路", "建设路", "解放路", "中山路", "长江路", "黄河路", "科技路", "创业大道",
    "东方路", "延安路", "和平路", "工业大道", "滨江路", "世纪大道", "发展大道", "新华路",
)  # fmt: skip

MOBILE_PREFIXES: tuple[str, ...] = (
    "133", "135", "136", "137", "138", "139", "150", "151", "158", "159", "186", "187", "188",
    "189",
)  # fmt: skip

CREDIT_AGENCIES: tuple[str, ...] = ("中诚信国际", "大公国际", "Dun & Bradstreet")

RATINGS: tuple[str, ...] = (
    "AAA", "AA+", "AA", "AA-", "A+", "A", "A-", "BBB+", "BBB", "BBB-", "BB+", "BB", "BB-",
    "B+", "B", "B-", "CCC", "CC", "C",
)  # fmt: skip
"""Best to worst; the generator maps a customer's credit quality onto this scale."""

PAYMENT_METHODS: tuple[str, ...] = ("bank_transfer", "bank_acceptance", "commercial_acceptance")
"""电汇, 银行承兑汇票, 商业承兑汇票. Paying with one's own commercial bills is a strain signal."""
