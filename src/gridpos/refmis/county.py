"""The demo county, modelled on 岳西 (Anhui): its 24 townships as supply stations, 182 villages,
the surnames and given names of its people.

Organisation codes: the county is ``340828`` (岳西县's administrative code); station ``n`` (1–24, in
the order below) is ``340828`` + two digits. Customer numbers (户号) are ten digits: the station's
two digits, a three-digit meter-reading segment (抄表段) and a five-digit serial in the segment.
Village names are plausible, not a gazetteer. Every name here is GBK-encodable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

COUNTY_CODE: Final[str] = "340828"
COUNTY_NAME_ZH: Final[str] = "岳西县"
COMPANY_NAME_ZH: Final[str] = "国网岳西县供电公司"
PROVINCE_NAME_ZH: Final[str] = "安徽省"


@dataclass(frozen=True, slots=True)
class Township:
    """A township (乡镇) and the villages (村) in it; ``weight`` is its share of customers."""

    name_zh: str
    weight: int
    villages: tuple[str, ...]


def _villages(text: str) -> tuple[str, ...]:
    return tuple(name + "村" for name in text.split())


TOWNSHIPS: Final[tuple[Township, ...]] = (
    Township("天堂镇", 16, _villages("城西 城北 天峰 花园 枯井 双畈 宝屏 梓树 黄屋")),
    Township("店前镇", 6, _villages("店前 金桥 杨岭 大岭 永富 仙人 里河 新湾 马畈")),
    Township("来榜镇", 5, _villages("来榜 花亭 毛畈 灯塔 关河 余畈 新联 鹞落")),
    Township("菖蒲镇", 5, _villages("菖蒲 水畈 溪沸 红岭 前进 新岭 高桥 马岭")),
    Township("头陀镇", 5, _villages("头陀 社坛 司空 前河 石门 白沙 沙湾 凤凰")),
    Township("白帽镇", 5, _villages("白帽 黄岭 田冲 大歇 王湾 梅冲 仓墩 溪口")),
    Township("温泉镇", 6, _villages("温泉 汤池 龙井 宋冲 黄塘 平畈 南田 金盆 上畈")),
    Township("响肠镇", 5, _villages("响肠 请水 石佛 胡冲 泉畈 黄柏 新屋 大河")),
    Township("河图镇", 5, _villages("河图 明堂 南庄 石枧 锯石 岭头 下畈 竹林")),
    Township("五河镇", 5, _villages("五河 石嘴 彭畈 罗汉 三友 古塘 乐丰 杨畈")),
    Township("主簿镇", 4, _villages("主簿 南河 沙坪 云峰 枫树 石柱 白云 槐树")),
    Township("冶溪镇", 4, _villages("冶溪 琥珀 石桥 枫坪 罗岭 桃坪 朱湾 中冲")),
    Township("黄尾镇", 3, _villages("黄尾 平坳 河口 上坪 马石 北山 来龙 庙岭")),
    Township("中关镇", 3, _villages("中关 大塘 腊树 关山 石屋 程冲 杨桥")),
    Township("毛尖山乡", 2, _villages("毛尖 板舍 林河 红旗 光明 东冲")),
    Township("和平乡", 2, _villages("和平 太平 凉亭 余井 石河 竹园 吴冲")),
    Township("古坊乡", 2, _villages("古坊 谢畈 龙潭 石槽 新河 天马 华阳")),
    Township("莲云乡", 2, _villages("莲云 腊树坳 平岗 高山 东岭 西冲 新坪")),
    Township("青天乡", 2, _villages("青天 杨山 桃园 小岭 青云 槽坊 黄栗")),
    Township("包家乡", 2, _villages("包家 石畈 鹿角 岩岭 东山 瓦屋 方冲")),
    Township("田头乡", 2, _villages("田头 河湾 前山 茶园 汪冲 高岭 杨林")),
    Township("姚河乡", 3, _villages("姚河 香炉 龙王 棠梨 大坳 双河 石鼓 岭南")),
    Township("石关乡", 2, _villages("石关 鸟鸣 响水 杨树 红花 北冲")),
    Township("巍岭乡", 2, _villages("巍岭 月岭 梓桐 红星 岭上 王畈")),
)


@dataclass(frozen=True, slots=True)
class StationInfo:
    code: str
    name_zh: str
    township_zh: str
    number: int  # 1..24, the first two digits of its customers' numbers


def _station_name(township: str) -> str:
    return township.removesuffix("镇").removesuffix("乡") + "供电所"


STATIONS: Final[tuple[StationInfo, ...]] = tuple(
    StationInfo(
        code=f"{COUNTY_CODE}{number:02d}",
        name_zh=_station_name(township.name_zh),
        township_zh=township.name_zh,
        number=number,
    )
    for number, township in enumerate(TOWNSHIPS, start=1)
)

# Surnames with weights: 岳西 has many 储, 汪 and 王.
SURNAMES: Final[tuple[tuple[str, int], ...]] = (
    ("储", 12),
    ("汪", 12),
    ("王", 11),
    ("刘", 6),
    ("胡", 6),
    ("陈", 6),
    ("程", 5),
    ("余", 5),
    ("吴", 5),
    ("李", 5),
    ("张", 4),
    ("朱", 3),
    ("徐", 3),
    ("黄", 3),
    ("方", 2),
    ("杨", 2),
    ("何", 2),
    ("叶", 2),
    ("操", 2),
    ("詹", 2),
    ("潘", 2),
    ("江", 2),
    ("周", 2),
    ("金", 1),
    ("彭", 1),
    ("石", 1),
    ("查", 1),
    ("钱", 1),
    ("孙", 1),
    ("韩", 1),
    ("夏", 1),
    ("高", 1),
)
GIVEN_MALE: Final[str] = (
    "国建华明强平军德友发贵生福林海涛志勇红兵文成忠诚新春金水山松柏正根来旺东升宏伟荣火炎"
)
GIVEN_FEMALE: Final[str] = "英芳秀兰桂梅玉春珍凤琴霞云燕萍丽娟翠花菊莲香秋月红娥素仙美"
# Non-residential customers: what they are, with where they are.
BUSINESS_KINDS: Final[tuple[str, ...]] = (
    "村民委员会",
    "小学",
    "卫生室",
    "茶厂",
    "小卖部",
    "农家乐",
    "竹木加工厂",
    "养殖场",
    "超市",
    "加油站",
    "粮油加工厂",
    "中药材合作社",
)
