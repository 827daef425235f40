/**
 * Reference data behind the sample generator: provinces' cities (capital first, then by size),
 * population (millions, for size factors), price levels, and the name stock of the roster.
 */
import type { Province } from '../extracts/codes.js';

export interface ProvinceProfile {
  /** Prefecture-level cities (districts for the four municipalities), largest first. */
  readonly cities: readonly string[];
  /** Resident population in millions: drives the province's volume. */
  readonly population: number;
  /** Price level against the national average: drives ARPU. */
  readonly priceLevel: number;
}

const p = (cities: string, population: number, priceLevel: number): ProvinceProfile =>
  ({ cities: cities.split(' '), population, priceLevel });

export const PROVINCE_PROFILES: Readonly<Record<Province, ProvinceProfile>> = {
  BJ: p('朝阳 海淀 丰台 东城 西城 石景山 通州 顺义 昌平 大兴 房山 门头沟 怀柔 平谷', 21.9, 1.3),
  TJ: p('滨海新区 和平 河西 南开 河东 河北 红桥 东丽 西青 津南 北辰 武清 宝坻 静海', 13.6, 1.1),
  HE: p('石家庄 唐山 保定 邯郸 沧州 廊坊 邢台 衡水 秦皇岛 张家口 承德 雄安', 74.2, 0.95),
  SX: p('太原 大同 长治 晋城 运城 临汾 晋中 吕梁 忻州 阳泉 朔州', 34.7, 0.95),
  NM: p('呼和浩特 包头 鄂尔多斯 赤峰 通辽 呼伦贝尔 巴彦淖尔 乌兰察布 乌海 兴安盟 锡林郭勒盟 阿拉善盟', 24.0, 1.0),
  LN: p('沈阳 大连 鞍山 抚顺 本溪 丹东 锦州 营口 阜新 辽阳 盘锦 铁岭 朝阳 葫芦岛', 42.0, 1.0),
  JL: p('长春 吉林 延边 四平 通化 松原 白城 辽源 白山', 23.8, 0.95),
  HL: p('哈尔滨 大庆 齐齐哈尔 牡丹江 佳木斯 绥化 鸡西 双鸭山 鹤岗 黑河 伊春 七台河 大兴安岭', 30.6, 0.92),
  SH: p('浦东 闵行 徐汇 黄浦 静安 长宁 普陀 虹口 杨浦 宝山 嘉定 松江 青浦 奉贤', 24.8, 1.3),
  JS: p('南京 苏州 无锡 常州 南通 徐州 扬州 盐城 泰州 镇江 淮安 连云港 宿迁', 85.3, 1.15),
  ZJ: p('杭州 宁波 温州 绍兴 嘉兴 台州 金华 湖州 衢州 丽水 舟山', 66.3, 1.15),
  AH: p('合肥 芜湖 蚌埠 阜阳 安庆 马鞍山 淮南 六安 宿州 滁州 亳州 宣城 铜陵 黄山', 61.2, 0.95),
  FJ: p('福州 厦门 泉州 漳州 莆田 三明 南平 龙岩 宁德', 41.9, 1.05),
  JX: p('南昌 赣州 九江 上饶 宜春 吉安 抚州 景德镇 萍乡 新余 鹰潭', 45.2, 0.92),
  SD: p('济南 青岛 烟台 潍坊 临沂 淄博 济宁 泰安 威海 日照 德州 聊城 滨州 菏泽', 101.2, 1.02),
  HA: p('郑州 洛阳 南阳 新乡 商丘 周口 信阳 驻马店 开封 安阳 平顶山 许昌 焦作 濮阳', 98.7, 0.92),
  HB: p('武汉 宜昌 襄阳 荆州 黄冈 孝感 十堰 荆门 黄石 咸宁 恩施 随州 鄂州', 58.4, 0.98),
  HN: p('长沙 株洲 湘潭 衡阳 岳阳 常德 邵阳 郴州 永州 怀化 益阳 娄底 湘西 张家界', 66.0, 0.95),
  GD: p('广州 深圳 东莞 佛山 汕头 惠州 中山 珠海 江门 湛江 茂名 揭阳 肇庆 梅州', 126.6, 1.2),
  GX: p('南宁 柳州 桂林 玉林 梧州 北海 钦州 百色 贵港 河池 贺州 来宾 崇左 防城港', 50.3, 0.88),
  HI: p('海口 三亚 儋州 琼海 万宁 文昌 东方 五指山 澄迈 陵水', 10.4, 1.0),
  CQ: p('渝中 江北 渝北 南岸 九龙坡 沙坪坝 巴南 北碚 万州 涪陵 永川 江津 合川 黔江', 32.0, 0.95),
  SC: p('成都 绵阳 德阳 南充 宜宾 泸州 乐山 达州 自贡 遂宁 内江 眉山 广安 攀枝花', 83.7, 0.95),
  GZ: p('贵阳 遵义 毕节 六盘水 安顺 铜仁 黔南 黔东南 黔西南', 38.6, 0.88),
  YN: p('昆明 曲靖 红河 大理 玉溪 昭通 文山 楚雄 保山 普洱 丽江 西双版纳 临沧 德宏', 46.7, 0.88),
  XZ: p('拉萨 日喀则 林芝 昌都 山南 那曲 阿里', 3.6, 0.85),
  SN: p('西安 宝鸡 咸阳 渭南 榆林 延安 汉中 安康 商洛 铜川', 39.5, 0.95),
  GS: p('兰州 天水 白银 庆阳 平凉 酒泉 张掖 武威 定西 陇南 嘉峪关 金昌 临夏 甘南', 24.9, 0.85),
  QH: p('西宁 海东 海西 海北 海南州 黄南 果洛 玉树', 5.9, 0.88),
  NX: p('银川 石嘴山 吴忠 固原 中卫', 7.3, 0.9),
  XJ: p('乌鲁木齐 昌吉 伊犁 喀什 阿克苏 巴州 克拉玛依 哈密 吐鲁番 和田 塔城 阿勒泰 博州 石河子', 25.9, 0.92),
};

/** Chinese New Year's Day by year (sales dip around it). */
export const CHINESE_NEW_YEAR: Readonly<Record<number, string>> = {
  2023: '2023-01-22', 2024: '2024-02-10', 2025: '2025-01-29', 2026: '2026-02-17',
  2027: '2027-02-06', 2028: '2028-01-26', 2029: '2029-02-13', 2030: '2030-02-03',
};

/** Common surnames, most frequent first. */
export const SURNAMES = Array.from('王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤');

/** Characters common in given names. */
export const GIVEN_CHARS = Array.from('伟芳娜敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华玉萍红建文辉力斌宇浩凯健俊帆帅旭宁龙林欣佳雪琳晨曦思雨婷慧颖鹏飞波海峰志国庆东亮春梅秀云莉丹倩蕾宏博嘉琪瑶瑞');

/** Competitors named in the `market` extract beside `self`. */
export const COMPETITORS = ['中国移动', '中国联通'] as const;
